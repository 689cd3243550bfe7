"""Files generated from a loaded project: TypeScript declarations, an OpenAPI document, Mermaid
diagrams of its flows.

Pure functions of the ``Registry`` the runners produced; loading the project is the caller's job.
"""

from supervisor.codegen._mermaid import MERMAID_DIR, flow_diagrams
from supervisor.codegen._openapi import OPENAPI_VERSION, openapi_document
from supervisor.codegen._typescript import GeneratedTypes, typescript_declarations

__all__ = [
    "MERMAID_DIR",
    "OPENAPI_VERSION",
    "GeneratedTypes",
    "flow_diagrams",
    "openapi_document",
    "typescript_declarations",
]
