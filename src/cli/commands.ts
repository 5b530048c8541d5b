// Commands that belong to a domain register here (one import per domain), keeping src/cli.ts small.
export {};
