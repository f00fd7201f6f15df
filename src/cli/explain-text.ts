// `certgate verify --explain`: an explained decision as text for a terminal, read top
// to bottom: the answer, the path, every step, and what to do about a refusal.
import { describeCertificate } from "../validator/explanation.ts";
import type { Decision } from "../validator/validator.ts";

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

export function explanationText(decision: Decision): string {
  const lines: string[] = [];
  const verdict = decision.allowed ? "ALLOWED" : "DENIED";
  lines.push(`${verdict}: ${decision.reason} (HTTP ${decision.httpStatus})${decision.certIndex >= 0 ? `, certificate ${decision.certIndex}` : ""}`);
  lines.push(`  ${decision.message}`);
  const principal = decision.identity?.principal;
  if (principal !== undefined)
    lines.push(
      `  principal ${principal.qualifiedUsername} (user ${principal.username}, user store ${principal.userStoreDomain}, tenant ${principal.tenantDomain})`,
    );
  const spiffeId = decision.identity?.spiffeId;
  if (spiffeId !== undefined) lines.push(`  SPIFFE ID ${spiffeId}`);
  if (decision.warnings.length > 0) {
    lines.push("", `Warnings (RFC 5280 rules the path breaks; accepted under truststore.profile = "rfc5280", refused under "strict"):`);
    for (const warning of decision.warnings)
      lines.push(`  ${warning.certIndex >= 0 ? `#${warning.certIndex}` : "trust store"}  ${warning.rule} (RFC 5280 ${warning.section}): ${warning.detail}`);
  }
  const explanation = decision.explanation;
  if (explanation === undefined) return lines.join("\n") + "\n";
  const checked = explanation.pathVerified ? "Path (leaf first):" : "Path checked last, refused (leaf first):";
  lines.push("", explanation.path.length === 0 ? "Path: none was built" : checked);
  for (const certificate of explanation.path) {
    lines.push(`  [${certificate.depth}] ${certificate.subject}${certificate.anchor ? "  (trust anchor)" : ""}`);
    for (const part of describeCertificate(certificate).split("; ").slice(1)) lines.push(`      ${part}`);
  }
  lines.push("", "Steps:");
  for (const step of explanation.steps) {
    const where = step.certIndex >= 0 ? `#${step.certIndex}` : "";
    lines.push(
      `  ${pad(step.ok ? "ok" : "FAIL", 5)}${pad(step.stage, 11)}${pad(where, 4)}${step.check}${step.detail === "" ? "" : `\n${" ".repeat(22)}${step.detail}`}`,
    );
  }
  if (explanation.hint !== undefined) lines.push("", `Hint: ${explanation.hint}`);
  return lines.join("\n") + "\n";
}
