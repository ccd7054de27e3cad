// A JDBC client (pgjdbc, Debian's libpostgresql-jdbc-java) doing what users do with wxa_fdw:
// parameters and date ranges, a PreparedStatement past pgjdbc's prepareThreshold and the
// server's generic-plan switch, code images saved to files, errors caught by SQLSTATE.
//
// Connects to jdbc:postgresql://PGHOST:PGPORT/PGDATABASE as PGUSER/PGPASSWORD; the objects of
// test/clients/setup.sql must exist. Prints one line "JDBC: N passed, N failed"; exits 1 on a
// failure. Compiled with javac and run by test/clients/run.
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

public class JdbcClient {
    static int passed = 0, failed = 0;

    static void check(String name, boolean ok, String detail) {
        if (ok) {
            passed++;
            System.out.println("ok: " + name);
        } else {
            failed++;
            System.out.println("FAILED: " + name + " " + detail);
        }
    }

    static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    // the same rows through a query with constants: the planner sees the dates
    static List<String> literalRows(Connection c, LocalDate first, LocalDate last) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ref_date, visit_uv FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '"
                     + first + "' AND '" + last + "' ORDER BY ref_date")) {
            while (rs.next())
                rows.add(rs.getDate(1) + "=" + rs.getLong(2));
        }
        return rows;
    }

    static List<String> rows(PreparedStatement ps) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next())
                rows.add(rs.getDate(1) + "=" + rs.getLong(2));
        }
        return rows;
    }

    static void run(Connection c) throws Exception {
        // a date range as parameters
        LocalDate first = LocalDate.of(2024, 3, 1), last = LocalDate.of(2024, 3, 14);
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT ref_date, visit_uv FROM wxa.daily_visit_trend WHERE ref_date BETWEEN ? AND ? ORDER BY ref_date")) {
            ps.setDate(1, Date.valueOf(first));
            ps.setDate(2, Date.valueOf(last));
            List<String> got = rows(ps), expected = literalRows(c, first, last);
            check("date range as parameters: the rows of the same query with constants",
                  got.equals(expected) && got.size() > 7, got.size() + " rows vs " + expected.size());
        }

        // one PreparedStatement, 12 executions: pgjdbc makes it a named server-side statement
        // after prepareThreshold (5) executions, and PostgreSQL may plan it generically after 5
        // more; then the dates are known only when the scan starts
        for (String mode : new String[] {"auto", "force_generic_plan"}) {
            try (Statement s = c.createStatement()) {
                s.execute("SET plan_cache_mode = " + mode);
                s.execute("DEALLOCATE ALL");
            }
            List<String> bad = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT ref_date, visit_uv FROM wxa.daily_visit_trend WHERE ref_date = ?")) {
                for (int i = 0; i < 12; i++) {
                    LocalDate day = LocalDate.of(2024, 2, 1).plusDays(2 * i);
                    ps.setObject(1, day);
                    List<String> got = rows(ps);
                    if (!got.equals(literalRows(c, day, day)))
                        bad.add(day + ": " + got);
                }
                check("PreparedStatement, 12 executions, plan_cache_mode " + mode + ": each the day asked for",
                      bad.isEmpty(), bad.toString());
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                             + "WHERE statement LIKE '%daily_visit_trend WHERE ref_date = $1%'")) {
                    long generic = -1, custom = -1;
                    int n = 0;
                    while (rs.next()) {
                        generic = rs.getLong(1);
                        custom = rs.getLong(2);
                        n++;
                    }
                    if (mode.equals("force_generic_plan"))
                        check("force_generic_plan: the server-side statement ran its generic plan",
                              n == 1 && generic >= 6, n + " statements, generic " + generic);
                    else
                        check("auto: a server-side statement, executed at least 6 times",
                              n == 1 && generic + custom >= 6, n + " statements, " + generic + "+" + custom);
                }
            }
        }
        try (Statement s = c.createStatement()) {
            s.execute("RESET plan_cache_mode");
        }

        // code images as bytea, written to files and recognised by their magic bytes
        Path dir = Files.createTempDirectory("wxa_jdbc");
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT wxa_get_wxacode('wechat', ?), wxa_get_wxacode_unlimit('wechat', ?, check_path => false, is_hyaline => true)")) {
            ps.setString(1, "pages/index/index?from=jdbc");
            ps.setString(2, "coupon=43");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Files.write(dir.resolve("code.jpg"), rs.getBytes(1));
                Files.write(dir.resolve("code.png"), rs.getBytes(2));
            }
            byte[] j = Files.readAllBytes(dir.resolve("code.jpg"));
            byte[] p = Files.readAllBytes(dir.resolve("code.png"));
            check("code.jpg is a JPEG (FF D8 FF ... FF D9)",
                  j.length > 4 && (j[0] & 0xff) == 0xff && (j[1] & 0xff) == 0xd8 && (j[2] & 0xff) == 0xff
                  && (j[j.length - 2] & 0xff) == 0xff && (j[j.length - 1] & 0xff) == 0xd9, j.length + " bytes");
            byte[] sig = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
            check("code.png is a PNG (signature ... IEND)",
                  p.length > 20 && Arrays.equals(Arrays.copyOf(p, 8), sig)
                  && new String(p, p.length - 8, 4, "US-ASCII").equals("IEND"), p.length + " bytes");
        } finally {
            for (String f : new String[] {"code.jpg", "code.png"})
                Files.deleteIfExists(dir.resolve(f));
            Files.deleteIfExists(dir);
        }

        // errors by SQLSTATE, as an application catches them; the connection stays usable
        try (PreparedStatement ps = c.prepareStatement("SELECT openid FROM wxa_code2session('wechat', ?)")) {
            ps.setString(1, "code_jdbc_1");
            try (ResultSet rs = ps.executeQuery()) {
                check("code2session: an openid", rs.next() && rs.getString(1) != null, "");
            }
        }
        String[][] cases = {
            {"no date restriction", "SELECT count(*) FROM wxa.daily_visit_trend WHERE ? IS NOT NULL", "x", "0A000"},
            {"a scene with a space", "SELECT wxa_get_wxacode_unlimit('wechat', ?)", "bad scene", "22023"},
            {"a login code used twice", "SELECT * FROM wxa_code2session('wechat', ?)", "code_jdbc_1", "22023"},
        };
        for (String[] k : cases) {
            try (PreparedStatement ps = c.prepareStatement(k[1])) {
                ps.setString(1, k[2]);
                ps.executeQuery().close();
                check(k[0] + ": " + k[3], false, "no error");
            } catch (org.postgresql.util.PSQLException e) {
                String hint = e.getServerErrorMessage() == null ? null : e.getServerErrorMessage().getHint();
                // WeChat's errcodes and a missing restriction come with a hint; an argument's
                // error names the valid characters in its message
                check(k[0] + ": SQLSTATE " + k[3],
                      k[3].equals(e.getSQLState())
                      && ((hint != null && !hint.isEmpty()) || e.getMessage().contains("may contain only")),
                      e.getSQLState() + " " + hint + ": " + e.getMessage());
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM wxa.daily_summary WHERE ref_date = ?")) {
            ps.setObject(1, LocalDate.of(2024, 3, 5));
            try (ResultSet rs = ps.executeQuery()) {
                check("the connection works after the errors", rs.next() && rs.getLong(1) <= 1, "");
            }
        }
    }

    public static void main(String[] args) {
        String url = "jdbc:postgresql://" + env("PGHOST", "localhost") + ":" + env("PGPORT", "5432") + "/"
                + env("PGDATABASE", env("PGUSER", "postgres"));
        Properties props = new Properties();
        props.setProperty("user", env("PGUSER", "postgres"));
        props.setProperty("password", env("PGPASSWORD", ""));
        try (Connection c = DriverManager.getConnection(url, props)) {
            run(c);
        } catch (Exception e) {   // the program itself broke: one failure, with what happened
            check("the client ran to its end", false, e.toString());
        }
        System.out.println("JDBC: " + passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
