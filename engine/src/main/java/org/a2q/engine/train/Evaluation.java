package org.a2q.engine.train;

import org.a2q.engine.data.Batch;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.ImageDataset;
import org.a2q.engine.nn.Graph;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Test-set metrics of a model in evaluation mode. */
public final class Evaluation {
    private Evaluation() { }

    public record Result(double loss, double accuracy, int correct, int count) { }

    public static Result evaluate(Graph graph, ImageDataset data, int batchSize) {
        return evaluate(graph, data, batchSize, Cancellation.none());
    }

    public static Result evaluate(Graph graph, ImageDataset data, int batchSize, Cancellation cancel) {
        Batcher batcher = new Batcher(data, batchSize, graph.valueArena().dataType());
        SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
        double total = 0;
        int correct = 0;
        int count = 0;
        for (Batch b : batcher.inOrder()) {
            if (cancel.isCancelled()) {
                break;
            }
            INDArray logits = graph.forward(b.features(), false);
            total += loss.compute(logits, b.labels(), b.size()) * b.size();
            correct += loss.correct();
            count += b.size();
        }
        return new Result(count == 0 ? Double.NaN : total / count, count == 0 ? Double.NaN : (double) correct / count,
                correct, count);
    }
}
