package org.a2q.engine;

/**
 * An error the user can act on: bad input file, impossible configuration, unsupported op.
 * The message alone must say what is wrong and, where possible, what would work; the CLI and
 * the GUI print it without a stack trace.
 */
public class EngineException extends RuntimeException {
    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
