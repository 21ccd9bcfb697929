"""The public transparency log: signed checkpoints, inclusion and consistency proofs, leaves.

No sign-in: leaves hold identifiers and digests only, and monitors and verifiers anywhere must be
able to fetch them. Reads run in read-only transactions.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from credential_service.transparency import proofs, service
from credential_service.web.http import JSON, RuntimeDep

router = APIRouter(tags=["transparency log"])
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such checkpoint or leaf"},
    422: {"description": "a parameter is out of range (which one and why)"},
}
NO_STORE = {"Cache-Control": "no-cache"}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}  # a signed checkpoint never changes


@router.get(
    "/log/checkpoint",
    summary="The latest signed checkpoint (C2SP tlog-checkpoint note signed by the platform key)",
    responses={404: {"description": "no checkpoint signed yet"}},
)
def latest_checkpoint(runtime: RuntimeDep) -> JSON:
    with runtime.read_session() as session:
        return JSON(service.checkpoint_document(service.current_checkpoint(session)), headers=NO_STORE)


@router.get("/log/checkpoints/{size}", summary="The signed checkpoint of one tree size", responses=ERRORS)
def checkpoint_of_size(size: Annotated[int, Path(ge=0, le=2**62)], runtime: RuntimeDep) -> JSON:
    with runtime.read_session() as session:
        return JSON(service.checkpoint_document(service.get_checkpoint(session, size)), headers=IMMUTABLE)


@router.get(
    "/log/proof/inclusion",
    summary="A leaf (by credential id, leaf index or leaf hash) and its audit path to a signed checkpoint",
    responses={**ERRORS, 409: {"description": "the leaf is not in a signed checkpoint yet"}},
)
def inclusion_proof(
    runtime: RuntimeDep,
    credential_id: Annotated[str | None, Query(max_length=255, description="the credential's id")] = None,
    leaf_index: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    leaf_hash: Annotated[str | None, Query(pattern="^[0-9a-fA-F]{64}$", description="hex")] = None,
    tree_size: Annotated[int | None, Query(ge=1, le=2**62, description="default: the latest")] = None,
) -> JSON:
    with runtime.read_session() as session:
        leaf = proofs.find_leaf(
            session, leaf_index=leaf_index, credential_id=credential_id, leaf_hash=leaf_hash
        )
        return JSON(proofs.inclusion_proof(session, leaf, tree_size=tree_size).document(), headers=NO_STORE)


@router.get(
    "/log/proof/consistency",
    summary="Proof that the tree of size `from` is a prefix of the signed tree of size `to`",
    responses=ERRORS,
)
def consistency_proof(
    runtime: RuntimeDep,
    first: Annotated[int, Query(alias="from", ge=0, le=2**62, description="the older tree size")],
    second: Annotated[
        int | None, Query(alias="to", ge=0, le=2**62, description="default: the latest")
    ] = None,
) -> JSON:
    with runtime.read_session() as session:
        return JSON(proofs.consistency_proof(session, first, second).document(), headers=NO_STORE)


@router.get(
    "/log/leaves",
    summary=f"Leaves [start, end), at most {proofs.MAX_PAGE} per page (for monitors)",
    responses=ERRORS,
)
def leaves(
    runtime: RuntimeDep,
    start: Annotated[int, Query(ge=0, le=2**62)] = 0,
    end: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> JSON:
    with runtime.read_session() as session:
        return JSON(proofs.leaves(session, start, end), headers=NO_STORE)
