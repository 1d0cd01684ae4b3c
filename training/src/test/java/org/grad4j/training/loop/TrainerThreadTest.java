package org.grad4j.training.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.grad4j.training.data.DataLoader;
import org.grad4j.training.nn.CrossEntropyLoss;
import org.grad4j.training.nn.Sequential;
import org.grad4j.training.optim.SGD;
import org.junit.jupiter.api.Test;

/** A trainer's thread: gone after {@code close()}, and gone too once a trainer never closed is garbage. */
class TrainerThreadTest {
    private static final String CLOSED =
            "Trainer: the trainer is closed (its training thread is stopped); build a new " + "one to train again";

    private static Trainer trainer() {
        Sequential m = TrainerTest.model(1);
        return Trainer.builder(m, new SGD(m.parameters(), 0.1f))
                .loss(new CrossEntropyLoss())
                .build();
    }

    private static Set<Thread> liveThreads() {
        return new HashSet<>(Thread.getAllStackTraces().keySet());
    }

    /** Waits (collecting garbage, at most 30 s) until no thread is alive that was not alive in {@code before}. */
    private static void awaitNoNewThreads(Set<Thread> before, String what) throws InterruptedException {
        Set<Thread> extra = Set.of();
        for (long deadline = System.nanoTime() + 30_000_000_000L; System.nanoTime() < deadline; ) {
            System.gc();
            extra = liveThreads().stream().filter(t -> !before.contains(t)).collect(Collectors.toSet());
            if (extra.isEmpty()) return;
            Thread.sleep(50);
        }
        List<String> names = extra.stream().map(Thread::getName).sorted().toList();
        throw new AssertionError(
                what + ": " + names.size() + " threads left, e.g. " + names.subList(0, Math.min(10, names.size())));
    }

    @Test
    void droppedTrainersLeaveNoThreadBehind() throws Exception {
        DataLoader data = TrainerTest.loader(TrainerTest.data(), 0);
        try (Trainer warm = trainer()) {
            warm.train(0, data.flux(0)).blockLast();
        }
        Set<Thread> before = liveThreads();
        for (int i = 0; i < 50; i++) {
            Trainer t = trainer();
            if (i % 2 == 0) t.train(i, data.flux(i)).blockLast(); // an epoch; odd ones are never used
        }
        awaitNoNewThreads(before, "50 trainers dropped without close()");
    }

    @Test
    void aClosedTrainerRefusesToTrain() {
        DataLoader data = TrainerTest.loader(TrainerTest.data(), 0);
        Trainer t = trainer();
        t.train(0, data.flux(0)).blockLast();
        long steps = t.globalStep();
        t.close();
        t.close();
        IllegalStateException e = assertThrows(
                IllegalStateException.class, () -> t.train(1, data.flux(1)).blockLast());
        assertEquals(CLOSED, e.getMessage());
        e = assertThrows(
                IllegalStateException.class, () -> t.evaluate(0, data.flux(0)).block());
        assertEquals(CLOSED, e.getMessage());
        e = assertThrows(IllegalStateException.class, t::awaitIdle);
        assertEquals(CLOSED, e.getMessage());
        assertEquals(steps, t.globalStep(), "nothing trained after close()");
    }
}
