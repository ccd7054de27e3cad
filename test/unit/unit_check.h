/*
 * unit_check.h — the assertion harness shared by the unit-test programs.
 * Each program includes it once, calls CHECK(condition) and ends with
 * unit_report(), which prints the tally test/run-tests counts.
 */
#ifndef UNIT_CHECK_H
#define UNIT_CHECK_H

#include <stdio.h>

static int	passed = 0;
static int	failed = 0;

#define CHECK(cond) check((cond), #cond, __FILE__, __LINE__)

static void
check(int ok, const char *what, const char *file, int line)
{
	if (ok)
		passed++;
	else
	{
		failed++;
		printf("FAIL %s:%d: %s\n", file, line, what);
	}
}

/* "N passed, N failed"; the exit status of the program. */
static int
unit_report(void)
{
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif
