package dev.taskyard.client;

/** 404: no such task (or artifact, or route). */
public class NotFoundException
        extends ProblemException
{
    public NotFoundException(Problem problem)
    {
        super(problem);
    }
}
