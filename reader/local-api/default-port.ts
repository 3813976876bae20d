/** Where the agent's local API listens unless told otherwise; the web page asks here. */
export const defaultLocalPort = 47047;
