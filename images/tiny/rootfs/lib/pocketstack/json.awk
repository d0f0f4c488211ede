# Flatten a JSON document (stdin) into one "path<TAB>value" line per scalar.
# Object keys are joined with "/", array elements use their index:
#   {"public_keys": {"k1": "ssh-ed25519 AAA... c\n"}, "keys": [{"name": "k1"}]}
# gives
#   public_keys/k1<TAB>ssh-ed25519 AAA... c
#   keys/0/name<TAB>k1
# String escapes are decoded; \n, \r and \t become spaces and trailing spaces
# are dropped so every value fits on one line; \u escapes outside ASCII
# become "?". Empty objects and arrays produce no line.
{ doc = doc $0 "\n" }

END {
    n = length(doc)
    pos = 1
    value("")
}

function skip_ws() {
    while (pos <= n && index(" \t\r\n", substr(doc, pos, 1)))
        pos++
}

function emit(path, v) {
    sub(/ +$/, "", v)
    printf "%s\t%s\n", path, v
}

function join(path, key) {
    return path == "" ? key : path "/" key
}

function value(path,    c, start) {
    skip_ws()
    c = substr(doc, pos, 1)
    if (c == "{") {
        pos++
        object(path)
    } else if (c == "[") {
        pos++
        array(path)
    } else if (c == "\"") {
        emit(path, string())
    } else {
        start = pos
        while (pos <= n && !index(",]} \t\r\n", substr(doc, pos, 1)))
            pos++
        emit(path, substr(doc, start, pos - start))
    }
}

function object(path,    key, c) {
    skip_ws()
    if (substr(doc, pos, 1) == "}") {
        pos++
        return
    }
    while (pos <= n) {
        skip_ws()
        key = string()
        skip_ws()
        pos++                       # ':'
        value(join(path, key))
        skip_ws()
        c = substr(doc, pos, 1)
        pos++
        if (c != ",")
            return
    }
}

function array(path,    i, c) {
    skip_ws()
    if (substr(doc, pos, 1) == "]") {
        pos++
        return
    }
    for (i = 0; pos <= n; i++) {
        value(join(path, i))
        skip_ws()
        c = substr(doc, pos, 1)
        pos++
        if (c != ",")
            return
    }
}

function string(    s, c, code) {
    pos++                           # opening quote
    s = ""
    while (pos <= n) {
        c = substr(doc, pos, 1)
        pos++
        if (c == "\"")
            return s
        if (c != "\\") {
            s = s c
            continue
        }
        c = substr(doc, pos, 1)
        pos++
        if (c == "n" || c == "r" || c == "t")
            s = s " "
        else if (c == "u") {
            code = hex(substr(doc, pos, 4))
            pos += 4
            s = s (code >= 32 && code < 127 ? sprintf("%c", code) : "?")
        } else if (c != "b" && c != "f")
            s = s c                 # \" \\ \/
    }
    return s
}

function hex(h,    i, v) {
    v = 0
    h = tolower(h)
    for (i = 1; i <= length(h); i++)
        v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
    return v
}
