package dev.taskyard.engine.testkit.contract;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.taskyard.engine.Display;
import dev.taskyard.engine.DisplayConnection;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.NoSuchDisplayException;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/** Displays: listing, RFB handshake with the listed size, invalid name, kill closes; or feature-not-supported. */
public interface DisplayContract
        extends ContractCase
{
    private Sandbox runningSandbox()
            throws Exception
    {
        KitRun run = newRun(payloads().sleep(Duration.ofSeconds(60)));
        return run.start();
    }

    @Test
    default void listDisplays()
            throws Exception
    {
        Sandbox sandbox = runningSandbox();
        if (!supports(EngineBehavior.SUPPORTS_DISPLAYS)) {
            expectError(ContractRule.FEATURE_DECLARATION, FeatureNotSupportedException.class,
                    "listDisplays on an engine declared without displays", sandbox::listDisplays);
            expectError(ContractRule.FEATURE_DECLARATION, FeatureNotSupportedException.class,
                    "openDisplay on an engine declared without displays",
                    () -> sandbox.openDisplay(payloads().invalidDisplayName()));
            return;
        }
        List<Display> expected = payloads().expectedDisplays();
        List<Display> listed = within("listDisplays", sandbox::listDisplays);
        check(listed.size() == expected.size(), ContractRule.DISPLAYS, "listed " + listed + ", expected " + expected);
        for (Display display : listed) {
            Display wanted = expected.stream().filter(d -> d.name().equals(display.name())).findFirst()
                    .orElseThrow(() -> KitAssertions.violation(ContractRule.DISPLAYS, "unexpected display " + display));
            check(wanted.description().isEmpty() || wanted.description().equals(display.description()),
                    ContractRule.DISPLAYS, "description of " + display);
            check(wanted.width() == 0 || wanted.width() == display.width(),
                    ContractRule.DISPLAYS, "width of " + display);
            check(wanted.height() == 0 || wanted.height() == display.height(), ContractRule.DISPLAYS,
                    "height of " + display);
        }
    }

    @Test
    default void openDisplays()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_DISPLAYS)) {
            return;
        }
        Sandbox sandbox = runningSandbox();
        List<Display> listed = within("listDisplays", sandbox::listDisplays);
        check(!listed.isEmpty(), ContractRule.DISPLAYS, "a sandbox with display support lists no display");
        for (Display display : listed) {
            try (DisplayConnection connection = within("openDisplay", () -> sandbox.openDisplay(display.name()))) {
                Rfb.ServerInit init = within("an RFB handshake", () -> Rfb.handshake(connection));
                if (init.width() != display.width() || init.height() != display.height()) {
                    // one resolution change is tolerated: the listing must then agree
                    Display again = within("listDisplays", sandbox::listDisplays).stream()
                            .filter(d -> d.name().equals(display.name())).findFirst().orElseThrow();
                    check(init.width() == again.width() && init.height() == again.height(), ContractRule.DISPLAYS,
                            "the framebuffer is " + init.width() + "x" + init.height() + " but the listing says "
                                    + again.width() + "x" + again.height());
                }
            }
        }
    }

    @Test
    default void openInvalidDisplay()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_DISPLAYS)) {
            return;
        }
        Sandbox sandbox = runningSandbox();
        expectError(ContractRule.DISPLAYS, NoSuchDisplayException.class, "openDisplay of an unknown name",
                () -> sandbox.openDisplay(payloads().invalidDisplayName()));
    }

    @Test
    default void killClosesDisplays()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_DISPLAYS)) {
            return;
        }
        Sandbox sandbox = runningSandbox();
        Display display = within("listDisplays", sandbox::listDisplays).get(0);
        try (DisplayConnection connection = within("openDisplay", () -> sandbox.openDisplay(display.name()))) {
            within("an RFB handshake", () -> Rfb.handshake(connection));
            CompletableFuture<Boolean> ended = CompletableFuture.supplyAsync(() -> {
                try {
                    while (connection.input().read() >= 0) {
                        // discard whatever the server sends
                    }
                    return true;
                }
                catch (IOException e) {
                    return true;
                }
            });
            check(!ended.isDone(), ContractRule.DISPLAYS, "the display connection closed on its own");
            expectSuccess(ContractRule.KILL_YIELDS_FAILED_RESULT,
                    "kill of a sandbox with an open display", sandbox::kill);
            try {
                ended.get(payloads().callTimeout().toNanos(), TimeUnit.NANOSECONDS);
            }
            catch (java.util.concurrent.TimeoutException e) {
                throw KitAssertions.violation(ContractRule.KILL_CLOSES_DISPLAYS,
                        "the display connection stayed open after kill");
            }
        }
    }
}
