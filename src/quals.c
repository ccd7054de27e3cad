/*
 * quals.c — which WHERE clauses restrict the periods, and their values.
 *
 * At plan time a clause "date_column OP expr" (or "expr OP date_column",
 * "date_column = ANY(array)") is recognised when expr does not reference the
 * foreign table and has no volatile functions: constants, stable expressions
 * (current_date - 7), parameters ($1) and, for parameterized paths, columns of
 * other relations. An OR is recognised when each of its branches has such a
 * clause (ANDed clauses of a branch that are not recognised are left out: the
 * branch then fetches more, never less). The expressions travel in fdw_exprs and are evaluated at
 * executor start and at every rescan. Every clause also stays in the plan's
 * local quals, so results are correct SQL whatever the wrapper fetched.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "access/stratnum.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/timestamp.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "access/xact.h"
#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/datetime.h"

/* The column a Var (possibly under a no-op cast) refers to, if it is ours. */
static bool
our_column(Expr *expr, Index relid, Oid foreigntableid, const WxaEndpoint *ep,
		   WxaQualTarget *target, Oid *type)
{
	Var		   *var;
	char	   *name;

	while (expr && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	if (expr == NULL || !IsA(expr, Var))
		return false;
	var = (Var *) expr;
	if (var->varno != relid || var->varlevelsup != 0 || var->varattno <= 0)
		return false;
	name = get_attname(foreigntableid, var->varattno, false);
	*type = var->vartype;
	if (strcmp(name, "ref_date") == 0 && var->vartype == DATEOID)
		*target = WXA_QUAL_REF_DATE;
	else if (strcmp(name, "end_date") == 0 && var->vartype == DATEOID &&
			 wxa_endpoint_column(ep, "end_date") >= 0)
		*target = WXA_QUAL_END_DATE;
	else if (strcmp(name, "days") == 0 && ep->period == WXA_PERIOD_PORTRAIT &&
			 (var->vartype == INT4OID || var->vartype == INT2OID || var->vartype == INT8OID))
		*target = WXA_QUAL_DAYS;
	else
		return false;
	return true;
}

/*
 * A value expression we can evaluate before the scan: no column of this table,
 * no columns of relations outside outer_ok, nothing volatile.
 */
static bool
usable_value(Expr *expr, Index relid, Relids outer_ok)
{
#if PG_VERSION_NUM >= 140000
	Relids		varnos = pull_varnos(NULL, (Node *) expr);
#else
	Relids		varnos = pull_varnos((Node *) expr);
#endif
	bool		ok;

	ok = !bms_is_member(relid, varnos) &&
		bms_is_subset(varnos, outer_ok) &&
		!contain_volatile_functions((Node *) expr);
	bms_free(varnos);
	return ok;
}

/* May a value of this type restrict a column of coltype? */
static bool
value_type_ok(Oid coltype, Oid valuetype)
{
	/* date vs timestamp(tz): evaluated as whole days, see add_value() */
	return valuetype == coltype ||
		(coltype == DATEOID && (valuetype == TIMESTAMPOID || valuetype == TIMESTAMPTZOID));
}

/*
 * The btree operator family that gives comparisons on a column of this type
 * their meaning: the type's default one (datetime_ops for date, integer_ops
 * for the integers). Their members are built-in operators whose strategy
 * numbers say what they do, whatever an operator's name or schema.
 */
static Oid
column_opfamily(Oid coltype)
{
	static Oid	date_family = InvalidOid;
	static Oid	integer_family = InvalidOid;
	Oid		   *family = coltype == DATEOID ? &date_family : &integer_family;

	if (!OidIsValid(*family))
		*family = get_opclass_family(GetDefaultOpClass(coltype == DATEOID ? DATEOID : INT4OID,
													   BTREE_AM_OID));
	return *family;
}

/*
 * The comparison opno makes between our column (of type type) and a value:
 * recognised by its strategy number in the column type's btree family, never
 * by its name (a user's own "=" earlier on search_path means something else).
 * commuted: the column is the right operand. -1 when not a comparison we know.
 */
static int
compare_op(Oid opno, Oid type, bool commuted)
{
	Oid			left,
				right;

	op_input_types(opno, &left, &right);
	if (commuted ? (right != type || !value_type_ok(type, left))
		: (left != type || !value_type_ok(type, right)))
		return -1;
	switch (get_op_opfamily_strategy(opno, column_opfamily(type)))
	{
		case BTEqualStrategyNumber:
			return WXA_CMP_EQ;
		case BTLessStrategyNumber:
			return commuted ? WXA_CMP_GT : WXA_CMP_LT;
		case BTLessEqualStrategyNumber:
			return commuted ? WXA_CMP_GE : WXA_CMP_LE;
		case BTGreaterStrategyNumber:
			return commuted ? WXA_CMP_LT : WXA_CMP_GT;
		case BTGreaterEqualStrategyNumber:
			return commuted ? WXA_CMP_LE : WXA_CMP_GE;
		default:
			return -1;			/* 0: not a member of the family */
	}
}

/* ORs inside ORs deeper than this are not recognised (PostgreSQL flattens most) */
#define WXA_MAX_OR_DEPTH 4

static bool qual_from_clause(Expr *clause, Index relid, Relids outer_ok, Oid foreigntableid,
							 const WxaEndpoint *ep, WxaQual *qual, int depth);

/* An OR whose every branch restricts something; its branches' recognised clauses. */
static bool
or_from_clause(BoolExpr *or, Index relid, Relids outer_ok, Oid foreigntableid,	/* NOLINT(misc-no-recursion): stops at WXA_MAX_OR_DEPTH */
			   const WxaEndpoint *ep, WxaQual *qual, int depth)
{
	ListCell   *lc;

	if (depth >= WXA_MAX_OR_DEPTH || list_length(or->args) > 999)
		return false;
	qual->target = 0;
	qual->op = WXA_QUAL_OP_OR;
	qual->value = NULL;
	qual->branches = NIL;
	foreach(lc, or->args)
	{
		Expr	   *arg = lfirst(lc);
		List	   *conjuncts = is_andclause(arg) ? ((BoolExpr *) arg)->args : list_make1(arg);
		List	   *branch = NIL;
		ListCell   *c;

		foreach(c, conjuncts)
		{
			WxaQual    *q = palloc0(sizeof(WxaQual));

			if (qual_from_clause(lfirst(c), relid, outer_ok, foreigntableid, ep, q, depth + 1))
				branch = lappend(branch, q);
		}
		if (branch == NIL)
			return false;
		qual->branches = lappend(qual->branches, branch);
	}
	return true;
}

bool
wxa_qual_from_clause(Expr *clause, Index relid, Relids outer_ok, Oid foreigntableid,
					 const WxaEndpoint *ep, WxaQual *qual)
{
	return qual_from_clause(clause, relid, outer_ok, foreigntableid, ep, qual, 0);
}

static bool
qual_from_clause(Expr *clause, Index relid, Relids outer_ok, Oid foreigntableid,	/* NOLINT(misc-no-recursion): stops at WXA_MAX_OR_DEPTH */
				 const WxaEndpoint *ep, WxaQual *qual, int depth)
{
	Oid			type;

	qual->branches = NIL;
	if (is_orclause(clause))
		return or_from_clause((BoolExpr *) clause, relid, outer_ok, foreigntableid, ep, qual, depth);

	if (IsA(clause, OpExpr))
	{
		OpExpr	   *op = (OpExpr *) clause;
		Expr	   *left,
				   *right;
		int			cmp;

		if (list_length(op->args) != 2)
			return false;
		left = linitial(op->args);
		right = lsecond(op->args);
		if (our_column(left, relid, foreigntableid, ep, &qual->target, &type) &&
			usable_value(right, relid, outer_ok) &&
			(cmp = compare_op(op->opno, type, false)) >= 0)
		{
			qual->op = cmp;
			qual->value = right;
			return true;
		}
		if (our_column(right, relid, foreigntableid, ep, &qual->target, &type) &&
			usable_value(left, relid, outer_ok) &&
			(cmp = compare_op(op->opno, type, true)) >= 0)
		{
			qual->op = cmp;
			qual->value = left;
			return true;
		}
		return false;
	}
	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;
		Expr	   *array = lsecond(saop->args);

		Oid			left,
					right;

		if (!saop->useOr ||
			!our_column(linitial(saop->args), relid, foreigntableid, ep, &qual->target, &type) ||
			!usable_value(array, relid, outer_ok) ||
			compare_op(saop->opno, type, false) != WXA_CMP_EQ)
			return false;
		op_input_types(saop->opno, &left, &right);
		if (right != type)
			return false;
		qual->op = WXA_QUAL_OP_IN;
		qual->value = array;
		return true;
	}
	return false;
}

/* Do the quals restrict ref_date or end_date? An OR does when each of its branches does. */
bool
wxa_quals_have_date(List *quals)	/* NOLINT(misc-no-recursion): as deep as the ORs, bounded by WXA_MAX_OR_DEPTH */
{
	ListCell   *lc;

	foreach(lc, quals)
	{
		WxaQual    *q = lfirst(lc);

		if (q->op == WXA_QUAL_OP_OR)
		{
			ListCell   *b;
			bool		all = true;

			foreach(b, q->branches)
				all = all && wxa_quals_have_date(lfirst(b));
			if (all)
				return true;
		}
		else if (q->target != WXA_QUAL_DAYS)
			return true;
	}
	return false;
}

static void
encode(List *quals, List **codes, List **exprs)	/* NOLINT(misc-no-recursion): as deep as the ORs, bounded by WXA_MAX_OR_DEPTH */
{
	ListCell   *lc;

	foreach(lc, quals)
	{
		WxaQual    *q = lfirst(lc);
		ListCell   *b;

		if (q->op != WXA_QUAL_OP_OR)
		{
			*codes = lappend_int(*codes, WXA_QUAL_CODE(q->target, q->op));
			*exprs = lappend(*exprs, q->value);
			continue;
		}
		*codes = lappend_int(*codes, WXA_QUAL_CODE_OR(list_length(q->branches)));
		foreach(b, q->branches)
		{
			int			lead = list_length(*codes);

			*codes = lappend_int(*codes, WXA_QUAL_CODE_BRANCH(0));
			encode(lfirst(b), codes, exprs);
			/* the branch's length, known now */
			list_nth_cell(*codes, lead)->int_value =
				WXA_QUAL_CODE_BRANCH(list_length(*codes) - lead - 1);
		}
	}
}

/* Quals as an integer list of codes (wxa_fdw.h) for fdw_private, values as fdw_exprs. */
List *
wxa_quals_encode(List *quals, List **exprs)
{
	List	   *codes = NIL;

	*exprs = NIL;
	encode(quals, &codes, exprs);
	return codes;
}

static wxa_day
clamp_day(DateADT d)
{
	/* infinite and far-out dates behave like the edges of what the API can hold */
	if (d < WXA_DAY_MIN)
		return WXA_DAY_MIN - 1;
	if (d > WXA_DAY_MAX)
		return WXA_DAY_MAX + 1;
	return (wxa_day) d;
}

static long
days_value(Datum value, Oid type)
{
	if (type == INT2OID)
		return DatumGetInt16(value);
	if (type == INT8OID)
	{
		int64		v = DatumGetInt64(value);

		return v > 1000 ? 1000 : (v < -1000 ? -1000 : (long) v);
	}
	return DatumGetInt32(value);
}

/*
 * date OP timestamp(tz): a date compares as its midnight (in the session's
 * zone for timestamptz). With d the day the timestamp falls on, > and <= are
 * exact on d; >=, < and = depend on whether the timestamp is d's midnight.
 */
static bool
add_timestamp_bound(WxaDayRange *range, int op, Datum value, Oid type)
{
	bool		tz = (type == TIMESTAMPTZOID);
	Datum		day = DirectFunctionCall1(tz ? timestamptz_date : timestamp_date, value);
	Datum		midnight = DirectFunctionCall1(tz ? date_timestamptz : date_timestamp, day);
	bool		at_midnight = DatumGetTimestamp(midnight) == DatumGetTimestamp(value);
	wxa_day		d = clamp_day(DatumGetDateADT(day));

	switch (op)
	{
		case WXA_CMP_GE:
			wxa_range_compare(range, at_midnight ? WXA_CMP_GE : WXA_CMP_GT, d);
			break;
		case WXA_CMP_LT:
			wxa_range_compare(range, at_midnight ? WXA_CMP_LT : WXA_CMP_LE, d);
			break;
		case WXA_CMP_EQ:
			if (at_midnight)
				wxa_range_compare(range, WXA_CMP_EQ, d);
			else
				return wxa_range_in(range, NULL, 0);	/* no date equals 12:00 */
			break;
		default:
			wxa_range_compare(range, (WxaCompare) op, d);
			break;
	}
	return true;
}

/* Add one evaluated qual. Returns false when out of memory. */
static bool
add_value(WxaRestriction *r, WxaQualTarget target, int op, Datum value, Oid type)
{
	WxaDayRange *range = target == WXA_QUAL_END_DATE ? &r->end : &r->ref;

	if (op != WXA_QUAL_OP_IN && (type == TIMESTAMPOID || type == TIMESTAMPTZOID))
		return add_timestamp_bound(range, op, value, type);
	if (op != WXA_QUAL_OP_IN)
	{
		if (target == WXA_QUAL_DAYS)
			wxa_restriction_days_compare(r, (WxaCompare) op, days_value(value, type));
		else
			wxa_range_compare(range, (WxaCompare) op, clamp_day(DatumGetDateADT(value)));
		return true;
	}
	else
	{
		ArrayType  *array = DatumGetArrayTypeP(value);
		Oid			elemtype = ARR_ELEMTYPE(array);
		int16		elmlen;
		bool		elmbyval;
		char		elmalign;
		Datum	   *elems;
		bool	   *elemnulls;
		int			n,
					kept = 0;
		bool		ok = true;

		get_typlenbyvalalign(elemtype, &elmlen, &elmbyval, &elmalign);
		deconstruct_array(array, elemtype, elmlen, elmbyval, elmalign, &elems, &elemnulls, &n);
		if (target == WXA_QUAL_DAYS)
		{
			long	   *values = palloc(sizeof(long) * (n + 1));

			for (int i = 0; i < n; i++)
				if (!elemnulls[i])
					values[kept++] = days_value(elems[i], elemtype);
			wxa_restriction_days_in(r, values, kept);
		}
		else
		{
			wxa_day    *values = palloc(sizeof(wxa_day) * (n + 1));

			for (int i = 0; i < n; i++)
				if (!elemnulls[i])
					values[kept++] = clamp_day(DatumGetDateADT(elems[i]));
			ok = wxa_range_in(range, values, kept);
		}
		return ok;
	}
}

/*
 * Add the codes [*pos, end) to r, taking values from *value on. Returns false
 * when out of memory.
 */
static bool
build(WxaRestriction *r, List *codes, int *pos, int end, Datum *values, bool *nulls,	/* NOLINT(misc-no-recursion): as deep as the ORs, bounded by WXA_MAX_OR_DEPTH */
	  Oid *types, int *value)
{
	while (*pos < end)
	{
		int			code = list_nth_int(codes, (*pos)++);
		WxaQualTarget target = WXA_QUAL_CODE_TARGET(code);
		int			op = WXA_QUAL_CODE_OP(code);
		int			i;

		if (WXA_QUAL_CODE_IS_OR(code))
		{
			/* an OR of its branches, each led by its length */
			int			n = WXA_QUAL_CODE_OR_BRANCHES(code);
			WxaRestriction *branches = wxa_restriction_add_or(r, n);

			if (branches == NULL)
				return false;
			for (int b = 0; b < n; b++)
			{
				int			length = WXA_QUAL_CODE_BRANCH_LENGTH(list_nth_int(codes, (*pos)++));

				if (!build(&branches[b], codes, pos, *pos + length, values, nulls, types, value))
					return false;
			}
			continue;
		}
		i = (*value)++;

		if (target != WXA_QUAL_DAYS)
		{
			WxaDayRange *range = target == WXA_QUAL_END_DATE ? &r->end : &r->ref;

			range->restricted = true;
			if (nulls[i])
				range->bounded_below = true;
		}
		if (nulls[i])
			r->empty = true;
		else if (!add_value(r, target, op, values[i], types[i]))
			return false;
	}
	return true;
}

/*
 * Build the restriction from evaluated quals. A NULL value makes the
 * restriction (or the OR branch it is in) empty: "col = NULL" is never true.
 */
bool
wxa_restriction_build(WxaRestriction *r, List *codes, Datum *values, bool *nulls, Oid *types)
{
	int			pos = 0;
	int			value = 0;

	wxa_restriction_init(r);
	return build(r, codes, &pos, list_length(codes), values, nulls, types, &value);
}

/*
 * The last day WeChat can have published: the day before today in the
 * server's timezone, today being the transaction's start (as current_date
 * is, and as wxa_yesterday() is): every request of a transaction agrees on it.
 */
DateADT
wxa_statement_yesterday(const char *timezone)
{
	return wxa_transaction_today(timezone) - 1;
}
