"""Api-step routes: the route syntax (Express's, as Motia uses it), parsed once, and matching
(method, path) to a route. Below config, core and http, which all read routes through it."""

from supervisor.routing._router import Match, MethodNotAllowed, Router
from supervisor.routing._syntax import (
    RoutePath,
    RouteSyntaxError,
    normalize_path,
    parse_route,
    route_shape,
    route_variants,
    substitute_params,
)

__all__ = [
    "Match",
    "MethodNotAllowed",
    "RoutePath",
    "RouteSyntaxError",
    "Router",
    "normalize_path",
    "parse_route",
    "route_shape",
    "route_variants",
    "substitute_params",
]
