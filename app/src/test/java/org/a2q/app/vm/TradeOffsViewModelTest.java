package org.a2q.app.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;

class TradeOffsViewModelTest {
    @Test
    void parsesColumnsByNameInAnyOrder() {
        List<TradeOffsViewModel.Point> p = TradeOffsViewModel.parse(List.of(
                "run,method,M,N,P,init,accuracy,exact_width_needed,channels_at_risk,sparsity,mean_budget_utilisation,"
                        + "train_seconds",
                "points/qat/model.a2q,qat,4,4,12,ep,0.879400,15,186,0.189054,4.274195,38.633",
                "",
                "points/a2q-P10/model.a2q,a2q,4,4,10,ep,0.679400,10,0,0.981233,0.301760,32.110"));
        assertEquals(2, p.size());
        assertEquals(new TradeOffsViewModel.Point("qat", 4, 4, 12, "ep", 0.8794, 15, 186, 0.189054, 4.274195, 38.633,
                "points/qat/model.a2q"), p.get(0));
        assertEquals(15, p.get(0).plotWidth(), "qat is drawn at the width its weights need");
        assertEquals(10, p.get(1).plotWidth(), "a2q at its target P");
    }

    @Test
    void missingColumnOrBadNumberIsAClearError() {
        EngineException e = assertThrows(EngineException.class, () -> TradeOffsViewModel.parse(List.of("method,M")));
        assertTrue(e.getMessage().contains("no column N"), e.getMessage());
        EngineException bad = assertThrows(EngineException.class, () -> TradeOffsViewModel.parse(List.of(
                String.join(",", TradeOffsViewModel.COLUMNS), "qat,4,4,x,ep,0.8,15,0,0.1,0.1,1,m.a2q")));
        assertTrue(bad.getMessage().contains("line 2"), bad.getMessage());
    }
}
