// What a trust store file holds once read: its certificates (by alias) and notes on
// what was skipped, or why it cannot be read.

export interface StoreCertificate {
  readonly alias: string | undefined;
  readonly der: Uint8Array;
  /** A trusted-certificate entry as the JDK reads it (JKS entries always; PKCS#12 with keytool's attribute). */
  readonly jdkTrusted: boolean;
}

export type KeyStoreContents =
  { readonly ok: true; readonly certificates: readonly StoreCertificate[]; readonly notes: readonly string[] } | { readonly ok: false; readonly why: string };
