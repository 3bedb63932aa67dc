"""A Pub/Sub REST stand-in of the benchmark's own, for REST clients: it replays pull
replies in the emulator's exact JSON shape from bytes kept ready, tracks acks and
redelivers what is not acked in time, at a small fraction of the emulator's CPU per alert
(the emulator spends more CPU serving REST than the clients spend consuming it).

``python -m bench.replay`` serves it; ``ReplayServer`` runs it from the benchmark.
"""

from .control import ReplayServer
from .server import Replay
from .state import ReplayData, ReplaySubscription

__all__ = ["Replay", "ReplayData", "ReplayServer", "ReplaySubscription"]
