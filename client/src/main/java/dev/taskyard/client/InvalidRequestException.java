package dev.taskyard.client;

/** 400: the request was invalid; {@link #errors()} lists each violation with its JSON path. */
public class InvalidRequestException
        extends ProblemException
{
    public InvalidRequestException(Problem problem)
    {
        super(problem);
    }
}
