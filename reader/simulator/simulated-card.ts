import { type CardProfile, loadProfile, saveProfile } from './card-profile.ts';
import { PivCard } from './piv-card.ts';
import { VpcdConnection } from './vpcd-connection.ts';

/** A card from its profile file, in a vpcd slot: what tests and `npm run card` start. */
export class SimulatedCard {
  readonly card: PivCard;
  readonly connection: VpcdConnection;

  constructor(
    readonly profilePath: string,
    readonly port: number,
    log: (line: string) => void = () => {},
  ) {
    this.card = new PivCard(loadProfile(profilePath), (profile: CardProfile) =>
      saveProfile(profilePath, profile),
    );
    this.connection = new VpcdConnection(this.card, port, '127.0.0.1', log);
  }

  get profile(): CardProfile {
    return this.card.profile;
  }

  insert(): Promise<void> {
    return this.connection.insert();
  }

  remove(): Promise<void> {
    return this.connection.remove();
  }

  /**
   * Test-only: takes the card out of the reader right after it answers the first command
   * `when` accepts (given the command and the answer, status word last); resolves once it is
   * out. The host gets that answer; its next command finds no card.
   */
  pullAfter(when: (command: Buffer, answer: Buffer) => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.connection.hooks = {
        after: (command, answer) => (when(command, answer) ? this.pulled(resolve) : undefined),
      };
    });
  }

  /**
   * Test-only: takes the card out as the first command `when` accepts arrives, unanswered
   * (the card never sees it); resolves once it is out. The host's command fails.
   */
  pullDuring(when: (command: Buffer) => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.connection.hooks = {
        before: (command) => (when(command) ? this.pulled(resolve) : undefined),
      };
    });
  }

  private pulled(resolve: () => void): 'pull' {
    this.connection.hooks = {};
    const out = setInterval(() => {
      if (this.connection.inserted) return;
      clearInterval(out);
      resolve();
    }, 10);
    return 'pull';
  }
}
