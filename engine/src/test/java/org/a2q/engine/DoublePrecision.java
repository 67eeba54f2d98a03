package org.a2q.engine.quant;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Switches ND4J's global default dtypes for a test class and restores them afterwards. */
final class DoublePrecision {
    private static DataType savedFloat;
    private static DataType savedDefault;

    private DoublePrecision() {}

    static void enter() {
        savedFloat = Nd4j.defaultFloatingPointType();
        savedDefault = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    static void leave() {
        Nd4j.setDefaultDataTypes(savedDefault, savedFloat);
    }
}
