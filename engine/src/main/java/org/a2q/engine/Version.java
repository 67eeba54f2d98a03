package org.a2q.engine;

/** Software identification written into every file and report, so results can be cited. */
public final class Version {
    public static final String NAME = "A2Q Workbench";

    private Version() { }

    public static String version() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    public static String describe() {
        return NAME + " " + version() + " (Java " + System.getProperty("java.version") + ", ND4J 1.0.0-M2.1)";
    }
}
