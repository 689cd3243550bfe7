"""Api-step routes: Express-style paths, parsed once, matched to (method, path). No HTTP server here."""

from supervisor.routing._router import Match, MethodNotAllowed, Router, normalize_path, path_shape

__all__ = ["Match", "MethodNotAllowed", "Router", "normalize_path", "path_shape"]
