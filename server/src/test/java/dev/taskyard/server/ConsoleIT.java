package dev.taskyard.server;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web console in a real headless Chromium (Debian's chromium and chromedriver, driven by Selenium) against the
 * real jar: sign-in, a wrong token, submitting from the form, a task going PENDING → RUNNING → COMPLETED with its
 * progress bar moving and its log read while it runs, an artifact downloaded and compared byte for byte, a running
 * task canceled from its page, a payload with a schema violation shown by path and not stored, the dashboard, and no
 * Content-Security-Policy violation or script error in the browser's console. Screenshots go to
 * {@code target/console-screenshots/}. Skipped with the reason when Chromium or chromedriver is missing; with
 * {@code CI=true} it fails instead.
 */
class ConsoleIT
{
    private static final Path CHROMIUM =
            Path.of(System.getenv().getOrDefault("TASKYARD_CHROMIUM", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER =
            Path.of(System.getenv().getOrDefault("TASKYARD_CHROMEDRIVER", "/usr/bin/chromedriver"));
    private static final Path SHOTS = Path.of("target", "console-screenshots");
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The blocker keeps the only worker slot busy until the test cancels it, so that the next task is seen PENDING. */
    private static final String BLOCKER =
            "{\"command\":[\"sh\",\"-c\",\"echo blocking; echo '::progress 5'; sleep 60\"]}";
    /** Six steps of 0.6 s with progress lines, then an artifact of text and three binary bytes. */
    private static final String WORK =
            "{\"command\":[\"sh\",\"-c\",\"for i in 1 2 3 4 5 6; do echo step $i; echo ::progress $((i * 16)); sleep "
            + "0.6; done; "
            + "seq 1 3000 > out.bin; printf '\\\\000\\\\001\\\\377' >> out.bin; echo ::progress 100; echo finished\"],"
            + "\"artifacts\":[{\"type\":\"file\",\"path\":\"out.bin\",\"name\":\"out.bin\"}]}";

    @TempDir
    static Path temp;
    static TaskyardServer server;
    static WebDriver driver;
    static Path downloads;

    @BeforeAll
    static void start()
            throws Exception
    {
        boolean ci = "true".equals(System.getenv("CI"));
        String missing = !Files.isExecutable(CHROMIUM) ? CHROMIUM + " is not installed (apt-get install chromium)"
                : !Files.isExecutable(CHROMEDRIVER) ? CHROMEDRIVER
                        + " is not installed (apt-get install chromium-driver)" : null;
        if (missing != null) {
            if (ci) {
                throw new AssertionError("CI=true but " + missing);
            }
            Assumptions.abort("ConsoleIT skipped: " + missing);
        }
        Path config = temp.resolve("serve.yaml");
        Files.writeString(config, """
                worker: {workerId: console, concurrency: 1}
                engine: process
                engines: {process: {}}
                plugins: {env: {}, success: {}, artifacts: {}, result: {}, progress: {pollInterval: 0.1}, tasklog: {}}
                """);
        server = TaskyardServer.start(temp.resolve("data"), "--config", config.toString());
        downloads = Files.createDirectories(temp.resolve("downloads"));
        Files.createDirectories(SHOTS);
        driver = startChromium();
    }

    private static WebDriver startChromium()
    {
        // explicit paths: Selenium Manager must never try to download a browser or a driver
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--disable-default-apps",
                "--disable-extensions", "--user-data-dir=" + temp.resolve("chromium-profile"),
                        "--window-size=1280,900", "--lang=en-US");
        options.setExperimentalOption("prefs",
                Map.of("download.default_directory", downloads.toString(), "download.prompt_for_download", false,
                "safebrowsing.enabled", false));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        ChromeDriver chrome = new ChromeDriver(service, options);
        // headless Chromium saves downloads only where it is told to (through chromedriver, no DevTools connection)
        chrome.executeCdpCommand("Browser.setDownloadBehavior",
                Map.of("behavior", "allow", "downloadPath", downloads.toString()));
        return chrome;
    }

    @AfterAll
    static void stop()
            throws Exception
    {
        if (driver != null) {
            driver.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    private static WebDriverWait waiting()
    {
        return new WebDriverWait(driver, WAIT, Duration.ofMillis(50));
    }

    private static WebElement visible(By by)
    {
        return waiting().until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** The visible text of the first element found, "" if there is none; the pages redraw, so a stale element is looked
     * up again. */
    private static String text(By by)
    {
        for (int i = 0; ; i++) {
            try {
                List<WebElement> found = driver.findElements(by);
                return found.isEmpty() ? "" : found.get(0).getText();
            }
            catch (StaleElementReferenceException e) {
                if (i == 10) {
                    throw e;
                }
            }
        }
    }

    private static void screenshot(String name)
            throws Exception
    {
        Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    private static void signIn(String token)
    {
        WebElement input = visible(By.id("token"));
        input.clear();
        input.sendKeys(token);
        driver.findElement(By.cssSelector("form.sign-in button[type=submit]")).click();
    }

    private static void go(String hash)
    {
        ((JavascriptExecutor) driver).executeScript("location.hash = arguments[0]", hash);
    }

    private static String taskIdFromUrl()
    {
        waiting().until(d -> d.getCurrentUrl().matches(".*#/tasks/[A-Za-z0-9_-]+$"));
        String url = driver.getCurrentUrl();
        return url.substring(url.lastIndexOf('/') + 1);
    }

    @Test
    void theConsoleDrivesTheWholeLifeOfTasks()
            throws Exception
    {
        try {
            walkThrough();
        }
        catch (Throwable e) {
            screenshot("failure");
            System.err.println("ConsoleIT failed at " + driver.getCurrentUrl() + "; browser log:");
            driver.manage().logs().get(LogType.BROWSER).getAll().forEach(entry -> System.err.println("  " + entry));
            System.err.println("server log:\n" + server.stderr);
            throw e;
        }
    }

    private void walkThrough()
            throws Exception
    {
        driver.get(server.baseUrl + "/");
        waiting().until(ExpectedConditions.urlContains("/ui/"));

        // a wrong token is refused on the sign-in form; the right one opens the task list
        signIn("not-the-token");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("sign-in-message"), "did not accept"));
        signIn(server.token);
        visible(By.id("tasks-title"));
        assertThat(driver.findElement(By.id("nav")).isDisplayed()).isTrue();
        assertThat(((JavascriptExecutor) driver)
                .executeScript("return document.cookie + JSON.stringify(localStorage)")).isEqualTo("{}");

        // a blocker occupies the only worker slot, so the task submitted from the form is seen PENDING first
        String blocker = server.submit(BLOCKER);
        waitForStatus(blocker, "RUNNING");

        visible(By.cssSelector("a[data-nav=submit]")).click();
        WebElement editor = visible(By.id("payload-editor"));
        visible(By.cssSelector("#payload-form[data-schema=loaded]"));
        setValue(editor, WORK);
        driver.findElement(By.id("submit-payload")).click();
        String taskId = taskIdFromUrl();
        visible(By.id("summary-status"));
        Set<String> states = new LinkedHashSet<>();
        states.add(waiting().until(d -> {
            String s = text(By.id("task-status"));
            return s.isEmpty() ? null : s;
        }));
        assertThat(states).containsExactly("PENDING");

        // the blocker ends; the task runs: its states, the moving progress bar and its live log are read from the page
        server.post("/v1/tasks/" + blocker + "/cancel", "");
        Set<Integer> progressWhileRunning = new TreeSet<>();
        String logWhileRunning = "";
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            // one script reads the state, the bar and the log together, as the page shows them at that moment
            List<?> seen = (List<?>) ((JavascriptExecutor) driver)
                    .executeScript("return [document.getElementById('task-status').innerText, "
                    + "document.querySelector('.summary [role=progressbar]').getAttribute('aria-valuenow'), "
                            + "document.getElementById('log').innerText]");
            String status = (String) seen.get(0);
            states.add(status);
            if (status.equals("RUNNING")) {
                progressWhileRunning.add(Integer.parseInt((String) seen.get(1)));
                String log = (String) seen.get(2);
                // the first log the page showed while the task ran (the state may lag behind the log at the end)
                logWhileRunning = logWhileRunning.isEmpty() ? log : logWhileRunning;
            }
            if (status.equals("COMPLETED")) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(new ArrayList<>(states)).containsExactly("PENDING", "RUNNING", "COMPLETED");
        assertThat(progressWhileRunning.stream().filter(p -> p > 0 && p < 100).count())
                .as("progress values seen while running: %s", progressWhileRunning)
                .isGreaterThanOrEqualTo(2);
        assertThat(logWhileRunning).as("log read while the task ran").contains("step 1").doesNotContain("finished");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("log"), "finished"));
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("log-state"), "complete"));
        assertThat(driver.findElement(By.cssSelector(".summary [role=progressbar]"))
                .getAttribute("aria-valuenow")).isEqualTo("100");
        assertThat(text(By.id("payload"))).contains("\"artifacts\"", "out.bin");

        // the artifact, downloaded by the browser, has the bytes the task wrote
        WebElement download = visible(By.cssSelector("[data-artifact='out.bin']"));
        screenshot("task");
        download.click();
        Path file = downloads.resolve("out.bin");
        waiting().until(d -> Files.exists(file)
                && !Files.exists(downloads.resolve("out.bin.crdownload")) && size(file) > 0);
        assertThat(Files.readAllBytes(file)).isEqualTo(expectedArtifact());

        // a running task is canceled from its page, after the confirmation
        String victim = server.submit(BLOCKER);
        go("#/tasks/" + victim);
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("task-status"), "RUNNING"));
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("log"), "blocking"));
        visible(By.id("cancel-task")).click();
        visible(By.id("confirm-yes")).click();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("task-status"), "CANCELED"));
        assertThat(server.task(victim).path("status").asText()).isEqualTo("CANCELED");
        visible(By.id("delete-task"));

        // the list shows the three tasks, newest first, with their states
        go("#/tasks");
        waiting().until(d -> d.findElements(By.cssSelector("tbody tr")).size() == 3
                && text(By.cssSelector("tbody tr[data-task-id='" + victim + "'] .badge")).equals("CANCELED"));
        List<String> rows = driver.findElements(By.cssSelector("tbody tr")).stream()
                .map(r -> r.getAttribute("data-task-id")).toList();
        assertThat(rows).containsExactly(victim, taskId, blocker);
        assertThat(text(By.cssSelector("tbody tr[data-task-id='" + taskId + "'] .badge"))).isEqualTo("COMPLETED");
        screenshot("list");
        driver.manage().window().setSize(new Dimension(390, 844));
        Thread.sleep(300);
        screenshot("list-phone");
        assertThat(((Number) ((JavascriptExecutor) driver)
                .executeScript("return document.documentElement.scrollWidth")).intValue())
                .as("no horizontal scrolling at phone width").isLessThanOrEqualTo(390);
        driver.manage().window().setSize(new Dimension(1280, 900));

        // the dashboard counts the tasks by state and draws its charts
        visible(By.cssSelector("a[data-nav=dashboard]")).click();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-state=COMPLETED] "
                + ".state-count"), "1"));
        assertThat(text(By.cssSelector("[data-state=CANCELED] .state-count"))).isEqualTo("2");
        assertThat(driver.findElements(By.cssSelector("#chart-depth canvas, #chart-throughput canvas"))).hasSize(2);
        Thread.sleep(300);
        screenshot("dashboard");

        // a payload with a schema violation: the path is shown and nothing is stored
        go("#/submit");
        editor = visible(By.id("payload-editor"));
        visible(By.cssSelector("#payload-form[data-schema=loaded]"));
        setValue(editor, "{\"command\": \"echo hello\"}");
        driver.findElement(By.id("submit-payload")).click();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("payload-violations"), "$.command"));
        assertThat(editor.getAttribute("aria-invalid")).isEqualTo("true");
        Thread.sleep(500);
        assertThat(server.listAll()).hasSize(3);
        assertThat(driver.getCurrentUrl()).endsWith("#/submit");

        // a token the server no longer accepts sends the user back to the sign-in
        ((JavascriptExecutor) driver).executeScript("sessionStorage.setItem('taskyard.token', 'revoked')");
        go("#/tasks");
        visible(By.id("token"));
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("sign-in-message"), "sign in again"));
        assertThat(driver.findElement(By.id("nav")).isDisplayed()).isFalse();
        assertThat(((JavascriptExecutor) driver)
                .executeScript("return sessionStorage.getItem('taskyard.token')")).isNull();

        // nothing broke the policy, and no script failed
        List<String> problems = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                .map(LogEntry::getMessage)
                // 401: the refused tokens above; 416: the log follower asking for more of a log that has ended (its way
                // to learn the end)
                .filter(m -> !m.contains("status of 401") && !m.contains("status of 416"))
                .toList();
        assertThat(problems).isEmpty();
    }

    private static void setValue(WebElement editor, String value)
    {
        editor.clear();
        ((JavascriptExecutor) driver)
                .executeScript("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                editor, value);
    }

    private static long size(Path file)
    {
        try {
            return Files.size(file);
        }
        catch (java.io.IOException e) {
            return 0;
        }
    }

    private static byte[] expectedArtifact()
    {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Stream<String> numbers = Stream.iterate(1, i -> i + 1).limit(3000).map(String::valueOf)) {
            numbers.forEach(n -> bytes.writeBytes((n + "\n").getBytes(StandardCharsets.US_ASCII)));
        }
        bytes.writeBytes(new byte[] {0, 1, (byte) 0xff});
        return bytes.toByteArray();
    }

    private static void waitForStatus(String taskId, String status)
            throws Exception
    {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            JsonNode task = server.task(taskId);
            if (task.path("status").asText().equals(status)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("task " + taskId + " did not become " + status);
    }
}
