"""Api-step routes: the path syntax (Express 4's, as Motia uses it), params, static precedence, 405s."""

from __future__ import annotations

import re

import pytest

from supervisor.routing import (
    Match,
    MethodNotAllowed,
    Router,
    RouteSyntaxError,
    parse_route,
    route_shape,
    route_variants,
    substitute_params,
)


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


def test_case_does_not_matter_as_in_express_but_parameter_values_keep_theirs() -> None:
    assert router().match("GET", "/PETS/Search") == Match("search", {})
    assert router().match("GET", "/Pets/AbC") == Match("get", {"id": "AbC"})
    assert router().match("POST", "/pEts") == Match("create", {})


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/", "/"),
        ("/Pets/:id", "/pets/:"),
        ("/pets/:id", "/pets/:"),
        ("/pets/:petId/", "/pets/:"),
        ("/a/:id?", "/a/:?"),
        ("/x/", "/x"),
        ("/flights/:from-:to", "/flights/:-:"),
    ],
)
def test_route_shape_erases_parameter_names(path: str, shape: str) -> None:
    assert route_shape(path) == shape


def test_an_optional_parameter_matches_with_and_without_its_segment() -> None:
    routes: Router[str] = Router()
    routes.add("GET", "/pets/:id?", "pets")
    routes.add("GET", "/a/:id?/b", "middle")
    assert routes.match("GET", "/pets") == Match("pets", {})
    assert routes.match("GET", "/pets/") == Match("pets", {})
    assert routes.match("GET", "/pets/7") == Match("pets", {"id": "7"})
    assert routes.match("GET", "/pets/7/8") is None
    assert routes.match("GET", "/a/b") == Match("middle", {})
    assert routes.match("GET", "/a/7/b") == Match("middle", {"id": "7"})


def test_an_optional_parameter_at_the_root_matches_the_root() -> None:
    routes: Router[str] = Router()
    routes.add("GET", "/:page?", "page")
    assert routes.match("GET", "/") == Match("page", {})
    assert routes.match("GET", "/about") == Match("page", {"page": "about"})


def test_several_parameters_in_one_segment() -> None:
    routes: Router[str] = Router()
    routes.add("GET", "/flights/:from-:to", "flights")
    assert routes.match("GET", "/flights/LIS-BER") == Match("flights", {"from": "LIS", "to": "BER"})


def test_a_static_route_wins_over_an_optional_parameter() -> None:
    routes: Router[str] = Router()
    routes.add("GET", "/pets/:id?", "optional")
    routes.add("GET", "/pets", "list")
    assert routes.match("GET", "/pets") == Match("list", {})
    assert routes.match("GET", "/pets/3") == Match("optional", {"id": "3"})


def test_literal_characters_are_matched_literally() -> None:
    route = parse_route("/files/:name.json")
    assert route.params == ("name",)
    routes: Router[str] = Router()
    routes.add("GET", "/files/:name.json", "json")
    assert routes.match("GET", "/files/a.json") == Match("json", {"name": "a"})
    assert routes.match("GET", "/files/aXjson") is None


@pytest.mark.parametrize("path", ["/files/*", "/files/:path+", "/pets/:id(\\d+)", "/a/b?", "/a/[x]", "pets"])
def test_syntax_outside_the_supported_subset_is_refused(path: str) -> None:
    with pytest.raises(RouteSyntaxError, match=re.escape(repr(path))):
        parse_route(path)


@pytest.mark.parametrize(
    ("path", "variants"),
    [
        ("/pets", ["/pets"]),
        ("/pets/:id/", ["/pets/:id"]),
        ("/pets/:id?", ["/pets/:id", "/pets"]),
        ("/a/:x?/b/:y?", ["/a/:x/b/:y", "/a/b/:y", "/a/:x/b", "/a/b"]),
        ("/:id?", ["/:id", "/"]),
    ],
)
def test_a_route_stands_for_one_path_per_combination_of_its_optional_parameters(
    path: str, variants: list[str]
) -> None:
    assert route_variants(path) == variants


def test_parameters_can_be_rewritten_in_another_templating() -> None:
    assert (
        substitute_params("/fares/:from-:to/:id?", lambda name: "{" + name + "}") == "/fares/{from}-{to}/{id}"
    )
