export declare const requiredMajor: number;
export declare function nodeVersionProblem(version: string): string | null;
