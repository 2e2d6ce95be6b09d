package dev.taskyard.engine.docker.internal;

import java.util.Optional;

import dev.taskyard.engine.MalformedPayloadException;

import static java.util.Objects.requireNonNull;

/**
 * An image reference split the way the pull API wants it: {@code repository}, and a tag or a digest. The daemon
 * checks the full grammar; this only refuses what cannot be split. Immutable.
 *
 * @param reference the reference as the payload gave it, used to create containers
 * @param repository everything before the tag or digest, e.g. {@code registry:5000/team/tool}
 * @param tag the tag, absent when none or a digest was given
 * @param digest the digest, e.g. {@code sha256:…}, when given
 */
public record ImageReference(String reference, String repository, Optional<String> tag, Optional<String> digest)
{
    public ImageReference
    {
        requireNonNull(reference, "reference is null");
        requireNonNull(repository, "repository is null");
        requireNonNull(tag, "tag is null");
        requireNonNull(digest, "digest is null");
    }

    /**
     * Splits a reference such as {@code alpine}, {@code alpine:3.20}, {@code host:5000/a/b:tag} or
     * {@code a/b@sha256:…}.
     *
     * @throws MalformedPayloadException the reference has an empty repository, tag or digest
     */
    public static ImageReference parse(String reference)
            throws MalformedPayloadException
    {
        requireNonNull(reference, "reference is null");
        String name = reference;
        Optional<String> digest = Optional.empty();
        int at = name.indexOf('@');
        if (at >= 0) {
            digest = Optional.of(name.substring(at + 1));
            name = name.substring(0, at);
        }
        Optional<String> tag = Optional.empty();
        int colon = name.lastIndexOf(':');
        if (colon > name.lastIndexOf('/')) {
            tag = Optional.of(name.substring(colon + 1));
            name = name.substring(0, colon);
        }
        if (name.isEmpty() || tag.filter(String::isEmpty).isPresent()
                || digest.filter(d -> !d.contains(":") || d.endsWith(":")).isPresent()) {
            throw new MalformedPayloadException("invalid image reference \"" + reference
                    + "\": expected repository[:tag][@algorithm:digest]");
        }
        return new ImageReference(reference, name, tag, digest);
    }

    /**
     * The {@code tag} parameter of a pull: the digest if given, else the tag, else {@code latest} (an empty tag would
     * pull every tag of the repository).
     */
    public String pullTag()
    {
        return digest.or(() -> tag).orElse("latest");
    }

    @Override
    public String toString()
    {
        return reference;
    }
}
