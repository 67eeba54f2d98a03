package org.a2q.engine.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One run of the command line as a user would start it: exit code and everything it printed. */
public record CliRun(int code, String out, String err) {
    public static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }
}
