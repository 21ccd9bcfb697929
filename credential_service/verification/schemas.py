from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from credential_service.core import examples

# A secured credential's shape: its proof verifies on no deployment (not genuine, with each check
# saying why). Paste a credential from /credentials/issue or a certificate's credential.json instead.
SHAPE_PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-rdfc-2022",
    "created": "2026-11-20T02:00:00Z",
    "verificationMethod": f"{examples.PLATFORM_DID}#key-1",
    "proofPurpose": "assertionMethod",
    "proofValue": "z3jGZPtwWeSJanSberzx14BxqR3QWDUdhDr1phMQS8vxVUXPpzLpX5gWP4bQhX6KRXM8XPkyp3eWy8M1EDqYXiyeR",
}
SECURED_CREDENTIAL = {
    **examples.PLATFORM_CREDENTIAL,
    "id": "urn:uuid:0b7e5c1a-6f2d-4e83-a9c4-2d1f8b3e7a60",
    "validFrom": "2026-11-20T10:00:00+08:00",
    "proof": SHAPE_PROOF,
}


CHECKS_HELP = (
    "the checks to run (VC API): proof, issuer_key, issuer, logged, record, scope, validity_period, "
    "status (revocation and suspension), status_revocation, status_suspension, schema, "
    "related_resource; absent: every check. The proof and the data model are always checked. "
    "`verified` is true when every check that ran passed; `checked` lists them."
)


class _CheckedOptions(BaseModel):
    """The VC API verify options both verify routes take; any other option is refused."""

    model_config = ConfigDict(extra="forbid")

    checks: list[str] | None = Field(default=None, max_length=20, description=CHECKS_HELP)
    challenge: str | None = Field(
        default=None, max_length=512, description="must equal the proof's challenge (checked when given)"
    )
    domain: str | None = Field(
        default=None, max_length=512, description="must be the proof's domain (checked when given)"
    )
    returnResults: bool = True
    returnProblemDetails: bool = True


class VerifyOptions(_CheckedOptions):
    returnCredential: bool = False


class VerifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples.listed(
            {"verifiableCredential": SECURED_CREDENTIAL, "options": {"returnResults": True}}
        ),
    )

    verifiableCredential: dict[str, Any] = Field(
        description="A secured VC 2.0 credential, e.g. as /credentials/issue answered it"
    )
    options: VerifyOptions = Field(default_factory=VerifyOptions)


class VerifyPresentationOptions(_CheckedOptions):
    """``checks`` narrows the checks of the credentials inside; the presentation's own always run."""

    returnPresentation: bool = False


_WALLET_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"  # the worker's wallet (example)


class VerifyPresentationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples.listed(
            {
                "verifiablePresentation": {
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiablePresentation"],
                    "holder": _WALLET_DID,
                    "verifiableCredential": [SECURED_CREDENTIAL],
                    "proof": {
                        **SHAPE_PROOF,
                        "created": "2026-11-21T02:00:00Z",
                        "verificationMethod": f"{_WALLET_DID}#{_WALLET_DID.removeprefix('did:key:')}",
                        "proofPurpose": "authentication",
                        "challenge": "1f4a9c2e-hr-2026-11-21",
                        "domain": "https://hr.example.cn",
                    },
                },
                "options": {"challenge": "1f4a9c2e-hr-2026-11-21", "domain": "https://hr.example.cn"},
            }
        ),
    )

    verifiablePresentation: dict[str, Any] = Field(
        description="A VC 2.0 presentation secured with a Data Integrity proof (proofPurpose authentication)"
    )
    options: VerifyPresentationOptions = Field(default_factory=VerifyPresentationOptions)


class QueryRequest(BaseModel):
    """证书编号 + 姓名, or 证件类型 + 证件号码 + 姓名, as on the national query site."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples.listed(
            {"certificateNumber": examples.CERTIFICATE_NUMBER, "name": examples.NAME},
            {"idType": "resident_id", "idNumber": examples.ID_NUMBER, "name": examples.NAME},
        ),
    )

    name: str = Field(min_length=1, max_length=50, description="姓名, as on the certificate")
    certificateNumber: str | None = Field(default=None, max_length=40, description="证书编号 (22 characters)")
    idType: str = Field(default="resident_id", max_length=30, description="证件类型 (with idNumber)")
    idNumber: str | None = Field(default=None, max_length=40, description="证件号码 (instead of the number)")

    @model_validator(mode="after")
    def _one_key(self) -> QueryRequest:
        if (self.certificateNumber is None) == (self.idNumber is None):
            raise ValueError("give certificateNumber or idNumber (exactly one of them) with the name")
        return self


class BulkItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certificateNumber: str = Field(max_length=40)
    name: str = Field(min_length=1, max_length=50)


class BulkRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples.listed(
            {
                "items": [
                    {"certificateNumber": examples.CERTIFICATE_NUMBER, "name": examples.NAME},
                    {"certificateNumber": "S000014010003263000128", "name": examples.OTHER_NAME},
                ]
            }
        ),
    )

    items: list[BulkItem] = Field(min_length=1, description="at most CS_VERIFY_BULK_MAX_ROWS (500) rows")
