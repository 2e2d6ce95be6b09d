package dev.taskyard.engine;

/**
 * Optional features an engine may implement. Callers may check {@link Capabilities#supports(Feature)} up front,
 * but must still handle {@link FeatureNotSupportedException} from the methods themselves.
 */
public enum Feature
{
    /** {@link SandboxBuilder#setEnvironmentVariable(String, String)}. */
    ENVIRONMENT_VARIABLES,
    /** {@link Engine#newVolume(com.fasterxml.jackson.databind.JsonNode)} and {@link SandboxBuilder#attachVolume}. */
    VOLUMES,
    /** {@link SandboxBuilder#attachProxy(String, ProxyHandler)}. */
    PROXIES,
    /** {@link Sandbox#newShell(java.util.List, boolean)}. */
    SHELLS,
    /** {@link Sandbox#listDisplays()} and {@link Sandbox#openDisplay(String)}. */
    DISPLAYS,
    /** {@link ResultSet#extractFile(String)} and {@link ResultSet#extractFolder(String, FileHandler)}. */
    ARTIFACTS,
    /**
     * {@link Sandbox#handle()} and {@link Engine#recoverSandbox(RecoveryOptions)}: a task keeps running when the
     * worker's process ends, and a later engine instance re-attaches to it.
     */
    RECOVERY
}
