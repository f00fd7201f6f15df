-- certgate as HAProxy's forward-auth service: an http-request action that asks
-- certgate's forward-auth listener about the request, as nginx's auth_request does.
-- Needs HAProxy 2.5 or newer (core.httpclient); nothing else to install.
--
--   haproxy.cfg:  global
--                   lua-load /etc/haproxy/certgate.lua
--                 frontend ...
--                   http-request lua.certgate-auth
--
-- certgate side (deployment.toml):
--   [forward_auth]
--   listen = "127.0.0.1:9191"
--   proxy = "haproxy"
--
-- Only what this action puts in its request reaches certgate (the client's own headers
-- do not), and on an allow it replaces the client's X-Certgate-* headers with certgate's.

local CERTGATE = "http://127.0.0.1:9191/certgate-auth"
local TIMEOUT_MS = 2000
local PRINCIPAL_HEADERS = {
  "x-certgate-user", "x-certgate-user-store", "x-certgate-tenant",
  "x-certgate-qualified-user", "x-certgate-fingerprint", "x-certgate-spiffe-id",
}

-- The first value of a header in a response's header table ("" when absent).
local function first(headers, name)
  local values = headers and headers[name]
  if values == nil then return "" end
  return values[0] or values[1] or ""
end

local function ask(txn)
  local headers = {
    ["x-original-uri"] = { txn.f:pathq() },
    ["x-original-method"] = { txn.f:method() },
  }
  -- The client's leaf as base64 DER: certgate completes the chain from its intermediates.
  local der = txn.f:ssl_c_der()
  if der ~= nil and der ~= "" then headers["x-client-cert"] = { txn.c:base64(der) } end
  local asserted = txn.f:req_hdr("wso2-identity-user")
  if asserted ~= nil and asserted ~= "" then headers["wso2-identity-user"] = { asserted } end
  return core.httpclient():get({ url = CERTGATE, headers = headers, timeout = TIMEOUT_MS })
end

core.register_action("certgate-auth", { "http-req" }, function(txn)
  local ok, response = pcall(ask, txn)
  local status = ok and response and response.status or 0
  if status == 200 then
    for _, name in ipairs(PRINCIPAL_HEADERS) do
      txn.http:req_set_header(name, first(response.headers, name))
    end
    -- The asserted user was certgate's to judge; the app gets the principal instead.
    txn.http:req_del_header("wso2-identity-user")
    return
  end
  -- certgate's 401 or 403 goes to the client with its reason; anything else (certgate
  -- unreachable, a timeout) is refused too: fail closed.
  local refused = (status == 401 or status == 403) and status or 503
  local reply = txn:reply({ status = refused })
  if refused ~= 503 then
    reply:add_header("x-certgate-reason", first(response.headers, "x-certgate-reason"))
    reply:add_header("content-type", "application/json")
    local challenge = first(response.headers, "www-authenticate")
    if challenge ~= "" then reply:add_header("www-authenticate", challenge) end
    reply:set_body(response.body or "")
  end
  txn:done(reply)
end)
