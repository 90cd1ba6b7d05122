package io.myriad.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import io.myriad.core.tool.Effect;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A handoff moves the run to the receiving agent, and a call the sender wrote after its handoff
 * is never run with the receiver's tools: not at once, and not after a crash between the two.
 */
class HandoffTest {
    @TempDir
    Path workspaces;

    private final InMemoryJournal journal = new InMemoryJournal();

    /** The sender answers [handoff to B, count] in one response; only B has the tool "count". */
    private static ModelResponse handoffThenCall() {
        return new ModelResponse(new Message.Assistant("", List.of(
                new ToolCall("c1", HandoffTool.NAME, "{\"agent\":\"b\",\"note\":\"yours\"}"),
                new ToolCall("c2", "count", "{\"n\":1}"))), new Usage(100, 10), "tool_calls", "scripted");
    }

    private AgentRuntime sender(RunLoopTest.ScriptedModel model) {
        var spec = new AgentSpec("a", "triage", ModelSpec.Simulated.DEFAULT, List.of(HandoffTool.NAME), Limits.DEFAULT, null, 0,
                null, null, List.of(), List.of("b"));
        return AgentRuntime.bind(spec, model, "scripted", ModelSpec.Pricing.FREE, List.of(new HandoffTool(List.of("b"))));
    }

    private AgentRuntime receiver(RunLoopTest.ScriptedModel model, RunLoopTest.CountingTool count) {
        var spec = new AgentSpec("b", "billing", ModelSpec.Simulated.DEFAULT, List.of("count"), Limits.DEFAULT, null, 0, null);
        return AgentRuntime.bind(spec, model, "scripted", ModelSpec.Pricing.FREE, List.of(count));
    }

    private RunLoop loop(Journal j) {
        return RunLoop.builder().journal(j).validator(RunLoopTest.REQUIRED_ONLY).workspaceRoot(workspaces)
                .clock(() -> Instant.ofEpochMilli(1_000)).sleeper(d -> { }).build();
    }

    @Test
    void aCallAfterTheHandoffInTheSameResponseIsRejectedEvenWhenTheReceiverResumesTheRun() {
        var model = new RunLoopTest.ScriptedModel(r -> handoffThenCall());
        RunFold fold = new RunFold();
        RunLoop loop = loop(journal);
        loop.start("f-1:t", new RunEvent.RunStarted(1_000, "f", "f-1", "t", "a", "charged twice", "scripted"), fold);
        loop.onModelResponse("f-1:t", fold, sender(model), handoffThenCall(), 5);
        // A crash right after the handoff: the journal ends with handed_off, c2 still pending.
        fold.apply(new RunEvent.HandedOff(1_001, "c1", "a", "b", "yours"));
        journal.append(new Journal.Append("f-1:t", fold.seq() - 1, List.of(new RunEvent.HandedOff(1_001, "c1", "a", "b", "yours")),
                fold.status())).join();
        RunFold replayed = RunFold.of(journal.events("f-1:t"));
        assertThat(replayed.agent()).isEqualTo("b");
        assertThat(replayed.responseAgent()).isEqualTo("a");

        // The engine resumes it with the receiver's runtime, which has "count".
        var count = new RunLoopTest.CountingTool("count", Effect.IRREVERSIBLE);
        RunLoop.Next next = loop(journal).next("f-1:t", replayed, receiver(model, count), () -> false, () -> false);
        assertThat(next).isEqualTo(RunLoop.Next.MODEL);
        assertThat(count.invocations).as("the sender's call is not made with the receiver's tools").hasValue(0);
        RunEvent last = journal.events("f-1:t").getLast();
        assertThat(last).isInstanceOf(RunEvent.ToolCallRejected.class);
        assertThat(((RunEvent.ToolCallRejected) last).reason()).contains("handed off to b");
    }

    @Test
    void theFoldRefusesAHandoffOfAnotherToolOrToItself() {
        RunFold fold = new RunFold();
        fold.apply(new RunEvent.RunStarted(1, "f", "f-1", "t", "a", "x", "m"));
        fold.apply(new RunEvent.ModelResponded(2, new Message.Assistant("", List.of(new ToolCall("c1", "count", "{}"))),
                new Usage(1, 1), 0, 1, "m"));
        assertThatThrownBy(() -> fold.apply(new RunEvent.HandedOff(3, "c1", "a", "b", ""))).hasMessageContaining("of tool count");
        assertThatThrownBy(() -> fold.apply(new RunEvent.HandedOff(3, "c1", "a", "a", ""))).hasMessageContaining("handed_off from a to a");
        assertThatThrownBy(() -> fold.apply(new RunEvent.ChildrenStarted(3, "c1", "k", 1, 2))).isInstanceOf(IllegalTransitionException.class);
    }
}
