"""The programs app's services, by topic:

- lifecycle.py: programs from draft to closed, their themes and acknowledgements;
- enrollment.py: joining, HR's decision, withdrawing;
- invitations.py: inviting people to enroll;
- surveys.py: survey windows, questions and answers.
"""

from .enrollment import *  # noqa: F403
from .enrollment import __all__ as _enrollment
from .invitations import *  # noqa: F403
from .invitations import __all__ as _invitations
from .lifecycle import *  # noqa: F403
from .lifecycle import State  # noqa: F401 - the program states, as the services name them
from .lifecycle import __all__ as _lifecycle
from .surveys import *  # noqa: F403
from .surveys import __all__ as _surveys

__all__ = [*_lifecycle, *_enrollment, *_invitations, *_surveys]
