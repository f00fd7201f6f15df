// @peculiar/x509, with the reflect-metadata polyfill its tsyringe dependency needs
// loaded first. Import X.509 generation from here, never from the package itself.
import "reflect-metadata";
export * from "@peculiar/x509";
