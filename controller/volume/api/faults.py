"""Cinder's error body: ``{"badRequest": {"code": 400, "message": "..."}}``, the key named
after the status as Cinder's WSGI faults name it."""

FAULT_NAMES = {400: "badRequest", 401: "unauthorized", 403: "forbidden",
               404: "itemNotFound", 405: "badMethod", 406: "notAcceptable",
               409: "conflictingRequest", 413: "overLimit", 415: "badMediaType",
               501: "notImplemented", 503: "serviceUnavailable"}


def cinder_fault(status, message, error_type):
    return {FAULT_NAMES.get(status, "computeFault"): {"code": status, "message": message}}
