package dev.taskyard.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;

/**
 * The process {@link CrashSafetyTest} kills: opens the store in {@code args[0]}, submits {@code args[1]} tasks
 * (printing {@code submitted <id>} once each submit returned), claims {@code args[2]} of them with leases of
 * {@code args[3]} ms (printing {@code leased <id> <attempt> <token> <expiresAtMillis>}), appends a log line to each
 * claimed task (printing {@code logged <id> <bytes>}), prints {@code ready} and then keeps submitting until it
 * is killed.
 */
public final class CrashChild
{
    private CrashChild()
    {
    }

    public static void main(String[] args)
            throws Exception
    {
        Path folder = Path.of(args[0]);
        int submits = Integer.parseInt(args[1]);
        int claims = Integer.parseInt(args[2]);
        Duration lease = Duration.ofMillis(Long.parseLong(args[3]));
        SqliteTaskStore store = SqliteTaskStore.Options.builder(folder).maxAttempts(2).open();
        for (int i = 0; i < submits; i++) {
            String id = store.submit(new SubmitRequest(TestStores.json("{\"i\":" + i + "}"), Optional.empty(),
                    Optional.empty())).task().taskId();
            System.out.println("submitted " + id);
        }
        List<Claim> claimed =
                store.claim(new ClaimRequest(new WorkerIdentity("crash", "child"), claims, Duration.ZERO, lease));
        for (Claim claim : claimed) {
            System.out.println("leased " + claim.lease().taskId() + " " + claim.lease().attempt() + " "
                    + claim.lease().token() + " "
                    + claim.lease().expiresAt().toEpochMilli());
            byte[] line = ("output of " + claim.lease().taskId() + "\n").getBytes(StandardCharsets.UTF_8);
            store.appendLog(claim.lease().taskId(), claim.lease().runId(), line, 0, line.length);
            System.out.println("logged " + claim.lease().taskId() + " " + line.length);
        }
        System.out.println("ready");
        System.out.flush();
        for (int i = submits; ; i++) {
            String id = store.submit(new SubmitRequest(TestStores.json("{\"i\":" + i + "}"), Optional.empty(),
                    Optional.empty())).task().taskId();
            System.out.println("submitted " + id);
        }
    }
}
