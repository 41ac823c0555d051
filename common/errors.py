"""The root of guanai's typed errors.

Every error a user can cause (a bad file, a bad code, a spent budget) is a ``GuanaiError``
whose message says what is wrong and what to do; the command line prints it without a stack
trace, and the gRPC edge turns it into a precise status code.
"""


class GuanaiError(Exception):
    """An error caused by input or state that a user can correct."""
