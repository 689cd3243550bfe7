"""Route matching for api steps: params, static precedence, 405s."""

from __future__ import annotations

from supervisor.routing import Match, MethodNotAllowed, Router, path_shape


def router() -> Router[str]:
    routes: Router[str] = Router()
    routes.add("GET", "/pets", "list")
    routes.add("POST", "/pets", "create")
    routes.add("GET", "/pets/:id", "get")
    routes.add("put", "/pets/:petId", "update")
    routes.add("GET", "/pets/search", "search")
    routes.add("POST", "/pets/:id/health-review", "review")
    return routes


def test_static_paths_match_by_method() -> None:
    assert router().match("POST", "/pets") == Match("create", {})
    assert router().match("GET", "/pets/") == Match("list", {})


def test_path_params_use_the_names_each_step_declared() -> None:
    assert router().match("GET", "/pets/7") == Match("get", {"id": "7"})
    assert router().match("PUT", "/pets/7") == Match("update", {"petId": "7"})
    assert router().match("POST", "/pets/a%20b/health-review") == Match("review", {"id": "a b"})


def test_static_segment_wins_over_a_parameter() -> None:
    assert router().match("GET", "/pets/search") == Match("search", {})
    assert router().match("PUT", "/pets/search") == Match("update", {"petId": "search"})


def test_known_path_with_another_method_lists_the_allowed_ones() -> None:
    assert router().match("DELETE", "/pets/7") == MethodNotAllowed(("GET", "HEAD", "PUT"))
    assert router().match("DELETE", "/pets") == MethodNotAllowed(("GET", "HEAD", "POST"))


def test_head_falls_back_to_get_and_unknown_paths_do_not_match() -> None:
    assert router().match("HEAD", "/pets/1") == Match("get", {"id": "1"})
    assert router().match("GET", "/owners") is None
    assert router().match("GET", "/pets/1/2") is None


def test_path_shape_ignores_parameter_names() -> None:
    assert path_shape("/pets/:id") == path_shape("/pets/:petId/") == "/pets/:"
