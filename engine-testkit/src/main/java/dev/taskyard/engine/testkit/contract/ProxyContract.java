package dev.taskyard.engine.testkit.contract;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.ProxyHandler;
import dev.taskyard.engine.ProxyRequest;
import dev.taskyard.engine.ProxyResponse;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/** Proxies: ping, 404 is failure, live log before the answer, parallel pings, conflicts; or feature-not-supported. */
public interface ProxyContract
        extends ContractCase
{
    private boolean ping(KitRun run, ProxyHandler handler)
            throws Exception
    {
        run.builder().attachProxy(payloads().proxyName(), handler);
        return within("a run pinging the proxy", run::run);
    }

    @Test
    default void pingProxy()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_PROXIES)) {
            KitRun run = newRun(payloads().silent());
            expectError(ContractRule.FEATURE_DECLARATION, FeatureNotSupportedException.class,
                    "attachProxy on an engine declared without proxies",
                    () -> run.builder().attachProxy(payloads().proxyName(), request -> ProxyResponse.text(200, "")));
            return;
        }
        List<ProxyRequest> requests = new CopyOnWriteArrayList<>();
        KitRun run = newRun(payloads().pingProxy(payloads().proxyName()));
        boolean success = ping(run, request -> {
            requests.add(request);
            return ProxyResponse.text(200, "Hello secret=42!!!");
        });
        check(success, ContractRule.PROXIES, "the ping payload failed on a 200 answer; log: " + run.log());
        check(!requests.isEmpty(), ContractRule.PROXIES, "the handler was never called");
        check(requests.get(0).path().equals("/v1/ping"), ContractRule.PROXIES, "the handler saw path "
                + requests.get(0).path() + ", expected /v1/ping (prefix stripped)");
        check(requests.get(0).method().equals("GET"), ContractRule.PROXIES, "the handler saw method "
                + requests.get(0).method());
        check(run.log().contains("secret=42"), ContractRule.PROXIES,
                "the answer did not reach the task; log: " + run.log());
    }

    @Test
    default void ping404IsUnsuccessful()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_PROXIES)) {
            return;
        }
        KitRun run = newRun(payloads().pingProxy(payloads().proxyName()));
        boolean success = ping(run, request -> ProxyResponse.text(404, "Hello secret=42!!!"));
        check(!success, ContractRule.PROXIES, "the ping payload succeeded on a 404 answer");
        check(run.log().contains("secret=42"), ContractRule.PROXIES,
                "the 404 body did not reach the task; log: " + run.log());
    }

    @Test
    default void liveLogBeforeProxyAnswers()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_PROXIES)) {
            return;
        }
        KitRun run = newRun(payloads().pingProxy(payloads().proxyName()));
        boolean success = ping(run, request -> {
            // answer only once "Pinging" is visible in the live log: proves the log streams while the task runs
            if (!run.awaitLog("Pinging", payloads().callTimeout())) {
                return ProxyResponse.text(500, "Pinging never appeared in the live log");
            }
            return ProxyResponse.text(200, "Hello secret=42!!!");
        });
        check(success, ContractRule.LIVE_LOG,
                "\"Pinging\" was not in the live log while the task waited for the proxy; log: " + run.log());
    }

    @Test
    default void parallelPings()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_PROXIES)) {
            return;
        }
        KitRun first = newRun(payloads().pingProxy(payloads().proxyName()));
        KitRun second = newRun(payloads().pingProxy(payloads().proxyName()));
        CompletableFuture<Void> bothCalled = new CompletableFuture<>();
        java.util.concurrent.CountDownLatch calls = new java.util.concurrent.CountDownLatch(2);
        ProxyHandler handler = request -> {
            calls.countDown();
            // each answer waits for the other call: only sandboxes running in parallel can both succeed
            if (!calls.await(payloads().callTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
                return ProxyResponse.text(500, "the other sandbox never pinged");
            }
            bothCalled.complete(null);
            return ProxyResponse.text(200, "Hello secret=42!!!");
        };
        first.builder().attachProxy(payloads().proxyName(), handler);
        second.builder().attachProxy(payloads().proxyName(), handler);
        CompletableFuture<Boolean> a = CompletableFuture.supplyAsync(() -> run(first));
        CompletableFuture<Boolean> b = CompletableFuture.supplyAsync(() -> run(second));
        check(await("the first parallel ping", a) && await("the second parallel ping", b), ContractRule.PROXIES,
                "two sandboxes could not ping in parallel");
    }

    private static boolean run(KitRun run)
    {
        try {
            return run.run();
        }
        catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    default void proxyNameConflictAndInvalidName()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_PROXIES)) {
            return;
        }
        KitRun run = newRun(payloads().silent());
        ProxyHandler handler = request -> ProxyResponse.text(200, "");
        run.builder().attachProxy(payloads().proxyName(), handler);
        expectError(ContractRule.NAMING_CONFLICT, NamingConflictException.class, "attachProxy with a name in use",
                () -> run.builder().attachProxy(payloads().proxyName(), handler));
        expectError(ContractRule.INVALID_NAME, MalformedPayloadException.class, "attachProxy(\"Not A Name!\")",
                () -> run.builder().attachProxy("Not A Name!", handler));
    }
}
