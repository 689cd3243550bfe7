"""Files generated from a loaded project: TypeScript declarations and an OpenAPI document.

Pure functions of the ``Registry`` the runners produced; loading the project is the caller's job.
"""

from supervisor.codegen._openapi import OPENAPI_VERSION, openapi_document
from supervisor.codegen._typescript import GeneratedTypes, typescript_declarations

__all__ = ["OPENAPI_VERSION", "GeneratedTypes", "openapi_document", "typescript_declarations"]
