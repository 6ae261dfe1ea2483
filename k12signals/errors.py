"""Exceptions that the command line turns into a message and exit status 2."""


class InputError(Exception):
    """Invalid user input: a file, row, option or argument value.

    The message names the bad value and says what is expected, because the
    command line prints it as it is.
    """
