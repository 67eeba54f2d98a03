package org.a2q.engine.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import org.a2q.engine.EngineException;
import org.a2q.engine.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code a2q} command line: every GUI action has a command here. */
// scope INHERIT: every subcommand takes --help (and --version) too, as users try first
@Command(name = "a2q", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, versionProvider = Main.VersionProvider.class,
        description = "Accumulator-aware quantization workbench (A2Q / A2Q+).",
        subcommands = {InfoCommand.class, TrainCommand.class, EvalCommand.class, QuantizeCommand.class, ReportCommand.class,
                BenchCommand.class,
                SimulateCommand.class, TraceCommand.class, SweepCommand.class, ExportCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        quietLogging(Arrays.asList(args).contains("--verbose"));
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Hides ND4J's start-up banner and SLF4J chatter unless asked for; must run before ND4J loads. */
    public static void quietLogging(boolean verbose) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        }
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    }

    /** Runs a command line and returns the exit code: 0 ok, 1 error, 2 usage error. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (verbose) {
                ex.printStackTrace(err);
            }
            if (ex instanceof EngineException) {
                err.println("error: " + ex.getMessage());
            } else {
                err.println("error: " + ex + (verbose ? "" : " (run with --verbose for details)"));
            }
            err.flush();
            return 1;
        });
        return cl.execute(args);
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {Version.describe()};
        }
    }
}
