// These packages ship no TypeScript types. We type the few calls we make at the call sites.
declare module 'snarkjs';
declare module 'circomlibjs';
declare module 'ffjavascript';
declare module 'r1csfile';
declare module '@iden3/binfileutils';
declare module 'circom_runtime';
