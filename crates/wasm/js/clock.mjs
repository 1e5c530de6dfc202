// The current time in whole seconds, as every check and proof here counts it.
export const nowSeconds = () => Math.floor(Date.now() / 1000);
