/* Subcommands of the i2i tool; each takes argv after the subcommand name
 * (argv[0] is the subcommand) and returns the process exit code. */
#ifndef I2I_CLI_COMMANDS_H
#define I2I_CLI_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_mkmodel(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_canny(int argc, char **argv);

#endif
