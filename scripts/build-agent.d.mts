import type { BuildOptions } from 'esbuild';

export declare const agentBuild: BuildOptions;
