package dev.taskyard.client;

/** 401 or 403: the bearer token is missing, wrong or not allowed this call. */
public class UnauthorizedException
        extends ProblemException
{
    public UnauthorizedException(Problem problem)
    {
        super(problem);
    }
}
