package dev.taskyard.engine.docker;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that needs a Docker daemon: without one it is skipped with the reason, unless the environment
 * variable {@code CI} is {@code true}, in which case it runs and fails. See {@link DockerExtension}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(DockerExtension.class)
@interface RequiresDocker {}
