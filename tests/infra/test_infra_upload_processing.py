"""The upload-probing function: deployed, invoked by the API only, named to the API.

Stands for AWS behaviour moto cannot show: an API Gateway request ends after 29 s, so the
probe runs in its own function, which the API may invoke and which knows nothing else.
"""

from __future__ import annotations

from typing import Any

from tests.infra.infra_support import Synthesized


def _policy_statements(synth: Synthesized, role_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def test_the_api_invokes_the_upload_function_which_outlives_a_request(
    synthesized: Synthesized,
) -> None:
    functions = synthesized.functions()
    upload_id = synthesized.logical_id("process_upload")
    # Given the API's function and the one that probes uploads
    api = functions["api"]
    probe = functions["process_upload"]
    # Then the API is told the function's name, may invoke it and nothing else may
    assert api["Environment"]["Variables"]["MPR_UPLOAD_FUNCTION_NAME"] == {"Ref": upload_id}
    api_role = api["Role"]["Fn::GetAtt"][0]
    invokes = [
        s
        for s in _policy_statements(synthesized, api_role)
        if "lambda:InvokeFunction"
        in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert invokes, "the API may not invoke the upload function"
    assert all(upload_id in str(s["Resource"]) for s in invokes)
    # and the probe has the time an API request lacks (29 s) and cannot invoke itself
    assert probe["Timeout"] == 900
    assert api["Timeout"] <= 29
    assert "MPR_UPLOAD_FUNCTION_NAME" not in probe["Environment"]["Variables"]
