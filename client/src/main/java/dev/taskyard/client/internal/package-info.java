/** Internals of the client (the chain, the transport, JSON and problem decoding): not API, may change at any time. */
package dev.taskyard.client.internal;
