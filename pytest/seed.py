"""The seeds' boto3 calls against the endpoint in AWS_ENDPOINT_URL_BEDROCK_RUNTIME.

Prints one JSON line per check and exits 1 when any check fails, 77 when
boto3 (with Converse) is not installed. Run by internal/server/python_test.go.
"""
import json
import sys

try:
    import boto3
    from botocore.exceptions import ClientError
except ImportError:
    sys.exit(77)

client = boto3.client("bedrock-runtime", region_name="us-east-1")
if not hasattr(client, "converse"):
    sys.exit(77)

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us." + MODEL
failed = 0


def check(name, fn):
    global failed
    try:
        detail = fn()
        print(json.dumps({"check": name, "ok": True, "detail": detail}, ensure_ascii=False))
    except Exception as e:  # report every failure, keep going
        failed += 1
        print(json.dumps({"check": name, "ok": False, "error": f"{type(e).__name__}: {e}"}, ensure_ascii=False))


def user(text):
    return {"role": "user", "content": [{"text": text}]}


def basic():
    resp = client.converse(modelId=MODEL, messages=[user("解释机器学习中的过拟合现象及其解决方案")],
                           inferenceConfig={"maxTokens": 512, "temperature": 0.5})
    text = resp["output"]["message"]["content"][0]["text"]
    assert "过拟合" in text, text
    assert resp["stopReason"] == "end_turn", resp["stopReason"]
    u = resp["usage"]
    assert u["totalTokens"] == u["inputTokens"] + u["outputTokens"], u
    assert len(resp["ResponseMetadata"]["RequestId"]) == 36
    return u


def system_and_turns():
    resp = client.converse(modelId=ARN, system=[{"text": "You are terse."}],
                           messages=[user("Hi"), {"role": "assistant", "content": [{"text": "Hello."}]}, user("And tides?")])
    text = resp["output"]["message"]["content"][0]["text"]
    # The system prompt asks for terseness: one sentence, about the last question.
    assert "tides" in text and text.count(". ") == 0, text


def stream():
    resp = client.converse_stream(modelId=MODEL, messages=[user("Write a haiku about rain")])
    kinds, text, usage = [], "", None
    for event in resp["stream"]:
        kind = next(iter(event))
        if not kinds or kinds[-1] != kind:
            kinds.append(kind)
        if kind == "contentBlockDelta":
            text += event[kind]["delta"]["text"]
        if kind == "metadata":
            usage = event[kind]["usage"]
    want = ["messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"]
    assert kinds == want, kinds
    assert "rain" in text and usage["outputTokens"] > 0
    return usage


def count_tokens():
    msgs = [user("How many tokens is this?")]
    n = client.count_tokens(modelId=MODEL, input={"converse": {"messages": msgs}})["inputTokens"]
    u = client.converse(modelId=MODEL, messages=msgs)["usage"]["inputTokens"]
    assert n == u, (n, u)
    return n


def validation_error():
    try:
        client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "   "}]}])
    except ClientError as e:
        err = e.response["Error"]
        assert err["Code"] == "ValidationException", err
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        return err["Message"]
    raise AssertionError("a blank text block was accepted")


check("converse", basic)
check("system-and-multi-turn", system_and_turns)
check("converse-stream", stream)
check("count-tokens", count_tokens)
check("validation-error", validation_error)
sys.exit(1 if failed else 0)
