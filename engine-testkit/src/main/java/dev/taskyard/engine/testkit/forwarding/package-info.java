/**
 * Engine decorators for tests: {@link dev.taskyard.engine.testkit.forwarding.ForwardingEngine} and its builder,
 * sandbox and result-set companions forward every call to a delegate, so that a test overrides only the call it
 * breaks or changes; {@link dev.taskyard.engine.testkit.forwarding.FaultyEngine} injects the faults the mock engine
 * cannot script. None of them is registered with {@link java.util.ServiceLoader}: tests register
 * {@link dev.taskyard.engine.testkit.forwarding.FaultyEngineProvider} themselves.
 */
package dev.taskyard.engine.testkit.forwarding;
