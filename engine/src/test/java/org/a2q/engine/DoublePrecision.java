package org.a2q.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Switches ND4J's global default dtypes for a test class and restores them afterwards. */
public final class DoublePrecision {
    private static DataType savedFloat;
    private static DataType savedDefault;

    private DoublePrecision() {}

    public static void enter() {
        savedFloat = Nd4j.defaultFloatingPointType();
        savedDefault = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    public static void leave() {
        Nd4j.setDefaultDataTypes(savedDefault, savedFloat);
    }
}
