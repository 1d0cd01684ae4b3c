package org.grad4j.training.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grad4j.core.DType;
import org.grad4j.core.Tensor;
import org.grad4j.training.loop.StepMetrics;

/**
 * What one rank sends the driver at the end of its task: rank 0 the trained state and the metrics; any
 * rank, instead, the error that stopped it before training began (an error no retry would cure, such
 * as a model that differs between workers; errors during training fail the task, and Spark retries the
 * stage).
 */
record WorkerOutcome(
        int rank,
        int attempt,
        Throwable setupError,
        List<String> names,
        List<String> dtypes,
        List<int[]> shapes,
        List<float[]> values,
        List<StepMetrics> steps,
        long resumedFromStep,
        double rendezvousSeconds,
        double trainSeconds)
        implements Serializable {

    static WorkerOutcome failed(int rank, int attempt, Throwable error) {
        return new WorkerOutcome(rank, attempt, error, List.of(), List.of(), List.of(), List.of(), List.of(), 0, 0, 0);
    }

    static WorkerOutcome trained(
            int rank,
            int attempt,
            Map<String, Tensor> state,
            List<StepMetrics> steps,
            long resumedFromStep,
            double rendezvousSeconds,
            double trainSeconds) {
        List<String> names = new ArrayList<>(), dtypes = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        state.forEach((k, t) -> {
            names.add(k);
            dtypes.add(t.dtype().name());
            shapes.add(t.shape());
            values.add(t.toFloatArray()); // int64 and bool tensors are stored as float32 too
        });
        return new WorkerOutcome(
                rank,
                attempt,
                null,
                names,
                dtypes,
                shapes,
                values,
                List.copyOf(steps),
                resumedFromStep,
                rendezvousSeconds,
                trainSeconds);
    }

    /** The state dict, as tensors again. */
    Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            Tensor t = Tensor.of(values.get(i), shapes.get(i));
            DType d = DType.valueOf(dtypes.get(i));
            out.put(names.get(i), d == DType.FLOAT32 ? t : t.to(d));
        }
        return out;
    }
}
