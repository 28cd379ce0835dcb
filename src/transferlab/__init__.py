"""transferlab: pre-trained networks and transfer learning, the course's one package."""

__version__ = "0.1.0"
